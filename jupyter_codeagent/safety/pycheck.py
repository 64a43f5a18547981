"""Pass two over a cell's Python: walk every node and collect findings.

Calls go to ``CallChecker``; this module handles what is not a single call: imports,
whole-environment use of ``os.environ``, ``eval``/``exec`` arguments, endless loops,
``raise SystemExit`` and string constants naming credential files.
"""

from __future__ import annotations

import ast

from . import catalog
from .calls import CallChecker
from .context import MAX_DEPTH, AnalysisContext
from .findings import RiskFinding, Severity, finding
from .names import NameTable, literal_string
from .paths import credential_findings, is_secret_name

_ENDLESS_ITERATORS = frozenset({"itertools.count", "itertools.cycle"})


class PythonChecker:
    def __init__(self, tree: ast.Module, ctx: AnalysisContext) -> None:
        self.tree = tree
        self.ctx = ctx
        self.names = NameTable(tree)
        self.findings: list[RiskFinding] = []
        self.calls = CallChecker(self.names, ctx, self.findings)
        self.parents: dict[ast.AST, ast.AST] = {}
        self.quiet_constants: set[int] = set()  # id() of strings not to scan

    def add(self, code: str, severity: Severity, message: str, line: int | None) -> None:
        self.findings.append(finding(code, severity, message, line))

    def run(self) -> list[RiskFinding]:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
            if isinstance(node, ast.Call) and self.names.resolve(node.func) in catalog.DOTENV_LOAD:
                # load_dotenv(".env") keeps the secrets out of sight: allowed.
                self.quiet_constants.update(id(c) for c in ast.walk(node))
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self.calls.check(node)
                self._exec(node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self._import(node)
            elif isinstance(node, (ast.Name, ast.Attribute)):
                self._environ(node)
            elif isinstance(node, ast.While):
                self._while(node)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                self._for(node)
            elif isinstance(node, ast.Raise):
                self._raise(node)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in self.quiet_constants
            ):
                self.findings += credential_findings(node.value, getattr(node, "lineno", None))
        return self.findings

    # --- imports ------------------------------------------------------------------------

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif node.module and not node.level:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            return
        for module in modules:
            top = module.split(".")
            if any(module == m or module.startswith(m + ".") for m in catalog.NETWORK_MODULES):
                self.add(
                    "network_import",
                    "high",
                    f"Imports {module}, a library for network access",
                    node.lineno,
                )
            elif top[0] in catalog.NATIVE_MODULES:
                self.add(
                    "native_code",
                    "high",
                    f"Imports {top[0]}, which calls native code "
                    "directly; a mistake crashes the kernel",
                    node.lineno,
                )
            elif top[0] in catalog.CREDENTIAL_STORE_MODULES:
                self.add(
                    "credential_store",
                    "high",
                    f"Imports {top[0]}, the system password store",
                    node.lineno,
                )

    # --- the environment ------------------------------------------------------------------

    def _environ(self, node: ast.Name | ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load) or self.names.resolve(node) not in catalog.ENVIRON:
            return
        parent = self.parents.get(node)
        line = node.lineno
        if isinstance(parent, ast.Subscript) and parent.value is node:
            if isinstance(parent.ctx, ast.Load):
                key = literal_string(parent.slice)
                if key is None:
                    self.add(
                        "env_read_dynamic",
                        "warning",
                        "Reads an environment variable whose name is computed at run time",
                        line,
                    )
                elif is_secret_name(key):
                    self.add(
                        "secret_read",
                        "high",
                        f"Reads the secret-looking environment variable {key}",
                        line,
                    )
            return
        if _harmless_environ_use(node, parent):
            return
        self.add(
            "env_dump",
            "block",
            "Uses the whole environment (os.environ), which holds API keys and tokens — blocked",
            line,
        )

    # --- dynamic code ------------------------------------------------------------------------

    def _exec(self, node: ast.Call) -> None:
        qual = self.names.resolve(node.func) or ""
        line = node.lineno
        source = node.args[0] if node.args else None
        if source is None:
            source = next((k.value for k in node.keywords if k.arg in ("source", "object")), None)
        if qual in catalog.DESERIALIZERS and source is not None and self.names.obfuscated(source):
            self.add(
                "obfuscated_exec",
                "block",
                f"Loads hidden, encoded data with {qual}, which can run code — blocked",
                line,
            )
        if qual not in catalog.EXEC_CALLS or source is None:
            return
        if qual == "runpy.run_path":
            self.add(
                "run_file", "warning", "Runs another Python file; its code is not checked", line
            )
            return
        if self.names.obfuscated(source) or self._imports_inline(source):
            self.add(
                "obfuscated_exec",
                "block",
                f"Runs hidden code decoded or assembled at run time ({qual}) — blocked",
                line,
            )
            return
        text = self.names.template(source)
        if text is not None and "{…}" not in text and self.ctx.depth < MAX_DEPTH:
            self.findings += self.ctx.nested_python(text, line, depth=self.ctx.depth + 1)
            return
        self.add(
            "dynamic_exec",
            "high",
            f"Runs code built at run time with {qual}(); the safety check cannot see what it does",
            line,
        )

    def _imports_inline(self, source: ast.expr) -> bool:
        return any(
            isinstance(n, ast.Call) and self.names.resolve(n.func) in catalog.DYNAMIC_IMPORTS
            for n in ast.walk(source)
        )

    # --- loops and exits ----------------------------------------------------------------------

    def _while(self, node: ast.While) -> None:
        test = node.test
        if not isinstance(test, ast.Constant) or not test.value:
            return
        if not _exits(node.body, inner_loop=False):
            self.add(
                "infinite_loop",
                "warning",
                "A `while True` loop with no break can run forever and hold the kernel busy",
                node.lineno,
            )

    def _for(self, node: ast.For | ast.AsyncFor) -> None:
        iterator = node.iter
        endless = (
            isinstance(iterator, ast.Call)
            and self.names.resolve(iterator.func) in _ENDLESS_ITERATORS
        )
        if endless and not _exits(node.body, inner_loop=False):
            self.add(
                "infinite_loop",
                "warning",
                "A loop over an endless iterator with no "
                "break can run forever and hold the kernel busy",
                node.lineno,
            )

    def _raise(self, node: ast.Raise) -> None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if exc is not None and self.names.resolve(exc) == "SystemExit":
            self.add(
                "process_exit", "warning", "Raises SystemExit, which stops the cell", node.lineno
            )


def _exits(body: list[ast.stmt], *, inner_loop: bool) -> bool:
    """Does this loop body contain a way out (break, return, raise)?"""
    for statement in body:
        for node in _walk_same_scope(statement):
            if isinstance(node, (ast.Return, ast.Raise)):
                return True
            if isinstance(node, ast.Break) and not _inside_inner_loop(statement, node):
                return True
    return False


def _walk_same_scope(node: ast.AST) -> list[ast.AST]:
    """Nodes under ``node`` without descending into nested functions or classes."""
    found: list[ast.AST] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        for child in ast.iter_child_nodes(current):
            if not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
            ):
                stack.append(child)
    return found


def _inside_inner_loop(statement: ast.AST, target: ast.Break) -> bool:
    """Is ``target`` inside a loop nested in ``statement`` (so it breaks that loop)?"""
    loops = (
        n for n in _walk_same_scope(statement) if isinstance(n, (ast.For, ast.AsyncFor, ast.While))
    )
    return any(
        child is target for loop in loops for child in _walk_same_scope(loop) if child is not loop
    )


def _harmless_environ_use(node: ast.expr, parent: ast.AST | None) -> bool:
    """os.environ.get(...), "KEY" in os.environ, env = os.environ (uses checked via alias)."""
    if isinstance(parent, ast.Attribute) and parent.value is node:
        return parent.attr in catalog.ENVIRON_SAFE_METHODS
    if isinstance(parent, ast.Compare) and node in parent.comparators:
        return all(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops)
    if isinstance(parent, ast.Assign) and parent.value is node:
        return all(isinstance(t, ast.Name) for t in parent.targets)
    return False
