"""Dangerous callables used as values, and introspection that escapes to the builtins.

``Thread(target=os.system, args=(cmd,))``, ``map(os.system, cmds)``, ``sorted(key=...)``,
``atexit.register(shutil.rmtree, ...)``, ``{"run": os.system}``: the call happens
somewhere the analyzer does not see, with arguments it cannot read. A reference to a
dangerous callable therefore counts like a call whose arguments are unknown.

``().__class__.__base__.__subclasses__()`` and ``f.__globals__`` reach every class and
module in the process without naming them; data-science code never needs them.
"""

from __future__ import annotations

import ast

from . import catalog
from .controlplane import CONTROL_SHELL_PREFIXES, control_call
from .findings import RiskFinding, Severity, finding
from .names import NameTable
from .tree import TreeIndex

# Calls that only look at a callable (its name, docs, signature), never run it.
_INSPECTING_CALLS = frozenset(
    {
        "help",
        "print",
        "repr",
        "str",
        "type",
        "id",
        "callable",
        "isinstance",
        "hasattr",
        "dir",
        "inspect.signature",
        "inspect.getsource",
        "inspect.getdoc",
        "inspect.getfile",
    }
)
_DANGEROUS_METHODS = frozenset({"rmtree", "remove", "unlink", "fork", "kill", "environ", "popen"})
_HARMLESS_ATTRIBUTES = frozenset({"__name__", "__qualname__", "__doc__", "__module__"})
_EXEC_NAMES = frozenset({"eval", "exec", "compile", "execfile", "__import__"})


def reference_severity(qual: str) -> tuple[Severity, str] | None:
    """How dangerous it is to hand this callable to code the analyzer does not see."""
    if (
        qual in catalog.SHELL_STRING_CALLS
        or qual.startswith(catalog.SHELL_ARGV_PREFIXES)
        or qual in catalog.SHELL_ARGV_CALLS
    ):
        return "high", "runs commands"
    if qual in _EXEC_NAMES or qual in catalog.EXEC_CALLS:
        return "high", "runs code"
    if qual in catalog.TREE_DELETE_CALLS or qual in catalog.DELETE_CALLS:
        return "high", "deletes files"
    if qual in catalog.FORK_CALLS or qual in catalog.PROCESS_KILL_CALLS:
        return "high", "forks or kills processes"
    if qual in catalog.KERNEL_KILL_CALLS - {"exit", "quit"}:
        return "high", "stops the kernel"
    if qual in catalog.MOVE_CALLS or qual in catalog.LINK_CALLS:
        return "high", "moves or links files"
    if catalog.dotted_prefix(qual, catalog.NETWORK_MODULE_SET) and "()" not in qual:
        return "high", "accesses the network"
    if qual in catalog.PICKLE_BYTES_LOADERS:
        return "warning", "unpickles data, which can run code"
    if qual in catalog.GETENV_CALLS or qual in catalog.DYNAMIC_IMPORTS:
        return "warning", "reads the environment or imports modules by name"
    return None


_REFERENCE_LAST_NAMES = frozenset(
    name.rsplit(".", 1)[-1]
    for name in frozenset().union(
        catalog.SHELL_STRING_CALLS,
        catalog.SHELL_ARGV_CALLS,
        catalog.EXEC_CALLS,
        catalog.TREE_DELETE_CALLS,
        catalog.DELETE_CALLS,
        catalog.FORK_CALLS,
        catalog.PROCESS_KILL_CALLS,
        catalog.KERNEL_KILL_CALLS,
        catalog.MOVE_CALLS,
        catalog.LINK_CALLS,
        catalog.PICKLE_BYTES_LOADERS,
        catalog.GETENV_CALLS,
        catalog.DYNAMIC_IMPORTS,
        _EXEC_NAMES,
        catalog.SHELL_METHOD_NAMES,
    )
) | {
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "spawnl",
    "spawnle",
    "spawnlp",
    "spawnlpe",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "posix_spawn",
    "posix_spawnp",
}
_NETWORK_ROOTS = frozenset(m.split(".", 1)[0] for m in catalog.NETWORK_MODULES)
_CONTROL_ATTRIBUTES = frozenset({"kernel", "config", "parent", "connection_file"})


class ReferenceChecker:
    def __init__(self, index: TreeIndex, names: NameTable, findings: list[RiskFinding]):
        self.index = index
        self.names = names
        self.findings = findings

    def run(self) -> None:
        for attr in catalog.INTROSPECTION_ATTRIBUTES:
            for node in self.index.attributes_by_name.get(attr, []):
                self._introspection(attr, node.lineno)
        for attr in _CONTROL_ATTRIBUTES:
            for attribute in self.index.attributes_by_name.get(attr, []):
                self._control(self.index.outermost(attribute))
        for candidate in self.names.candidates(_REFERENCE_LAST_NAMES):
            context = getattr(candidate, "ctx", None)
            if context is None or isinstance(context, ast.Load):
                self._reference(candidate)
        for root in self._network_roots():
            for name in self.index.names_by_id.get(root, []):
                member = self.index.outermost(name)
                last = member.attr if isinstance(member, ast.Attribute) else ""
                if last.islower() and not last.startswith("_"):  # functions, not constants
                    self._reference(member)
        for call in self.index.of(ast.Call):
            self._caller(call)

    def _network_roots(self) -> set[str]:
        """Names that are network modules here: imported as such, or used bare."""
        roots = {r for r in _NETWORK_ROOTS if r not in self.names.bound}
        for alias, module in self.names.imports.items():
            if module.split(".", 1)[0] in _NETWORK_ROOTS:
                roots.add(alias)
        return roots

    def _introspection(self, attr: str, line: int) -> None:
        self.findings.append(
            finding(
                "introspection_escape",
                "high",
                f"Uses {attr}, which reaches modules and functions (such as subprocess.Popen) "
                "without naming them",
                line,
            )
        )

    def _control(self, node: ast.expr) -> None:
        """get_ipython().kernel.session.key: the kernel's signing key, without a call."""
        qual = self.names.resolve(node) or ""
        if qual.startswith(CONTROL_SHELL_PREFIXES):
            self.findings.append(
                finding("jupyter_control", "high", control_call(qual) or qual, node.lineno)
            )

    def _reference(self, node: ast.expr) -> None:
        parent = self.index.parent(node)
        if isinstance(parent, ast.Call) and parent.func is node:
            return  # a call: checked with its arguments by CallChecker
        if isinstance(parent, ast.Attribute):
            return  # part of a longer name (os.system.__name__ is judged as a whole)
        if self._is_alias(node, parent) or self._inspected(parent) or self._not_a_value(node):
            return
        severity: Severity
        qual = self.names.resolve(node)
        if qual is None:
            if isinstance(node, ast.Attribute) and node.attr in catalog.SHELL_METHOD_NAMES:
                # o.system where o is unknown: may be os (a warning: it may be anything)
                qual = f"….{node.attr}"
                severity, does = "warning", "may run commands"
            else:
                return
        else:
            judged = reference_severity(qual)
            if judged is None:
                return
            severity, does = judged
        self.findings.append(
            finding(
                "callable_reference",
                severity,
                f"Passes {qual}, which {does}, as a value (to a thread, map, a callback, a "
                "table of functions...); the safety check cannot see what it is called with",
                node.lineno,
            )
        )

    def _is_alias(self, node: ast.expr, parent: ast.AST | None) -> bool:
        """``run = os.system``: the alias is followed where it is used, not flagged here.

        In a class body the name becomes an attribute (``Report.render = os.system``),
        which the resolver does not follow: there the reference counts.
        """
        if isinstance(self.index.parent(parent) if parent else None, ast.ClassDef):
            return False
        if isinstance(parent, ast.Assign) and parent.value is node:
            return all(isinstance(t, ast.Name) for t in parent.targets)
        if isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and parent.value is node:
            return isinstance(parent.target, ast.Name)
        return False

    def _not_a_value(self, node: ast.expr) -> bool:
        """A type annotation, an exception caught, a test: the callable is not handed on."""
        parent = self.index.parent(node)
        if isinstance(parent, (ast.UnaryOp, ast.Compare)):
            return True
        if isinstance(parent, (ast.If, ast.While, ast.Assert, ast.IfExp)) and parent.test is node:
            return True
        child: ast.AST = node
        while isinstance(parent, (ast.Subscript, ast.Tuple, ast.List, ast.BinOp)):
            child, parent = parent, self.index.parent(parent)  # list[socket.socket] | None
        if isinstance(parent, ast.arg):
            return True  # an argument's annotation
        if isinstance(parent, ast.ExceptHandler):
            return child is parent.type
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return child is parent.returns
        return isinstance(parent, ast.AnnAssign) and child is parent.annotation

    def _inspected(self, parent: ast.AST | None) -> bool:
        if isinstance(parent, ast.Call):
            return self.names.resolve(parent.func) in _INSPECTING_CALLS
        # os.system is os.system; a bare name shown in the notebook
        return isinstance(parent, (ast.Compare, ast.Expr))

    def _caller(self, node: ast.Call) -> None:
        """operator.methodcaller("system", cmd) / attrgetter("system"): a call by name."""
        qual = self.names.resolve(node.func) or ""
        if not qual.startswith("operator.") or qual.split(".")[-1] not in catalog.CALLER_NAMES:
            return
        name = self.names.key(node.args[0]) if node.args else None
        last = name.rsplit(".", 1)[-1] if name else None
        if name is None:
            severity: Severity = "warning"
            what = "a method named at run time"
        elif (
            last in catalog.SHELL_METHOD_NAMES
            or last in _EXEC_NAMES
            or last in _DANGEROUS_METHODS
            or last in catalog.INTROSPECTION_ATTRIBUTES
        ):
            severity, what = "high", f".{last}"
        else:
            return
        self.findings.append(
            finding(
                "callable_reference",
                severity,
                f"Calls {what} through {qual}, hiding which object it runs on",
                node.lineno,
            )
        )
