"""Pass two over a cell's Python: run every check over the shared tree index.

Calls go to ``CallChecker``; this module handles imports, whole-environment use of
``os.environ``, ``eval``/``exec`` arguments, run-time lookups in module namespaces and
``raise SystemExit``, then hands the tree to the checks with a module of their own:
resources (``bombs.py``), strings (``string_checks.py``), callables passed as values
(``references.py``) and what needs the session's facts (``session_checks.py``).
"""

from __future__ import annotations

import ast

from . import catalog
from .bombs import ResourceChecker
from .calls import CallChecker
from .context import MAX_DEPTH, AnalysisContext
from .controlplane import control_module
from .findings import RiskFinding, Severity, finding
from .interest import call_matters
from .kernel_state import KernelStateChecker
from .names import MAX_CHAIN, NameTable, literal_string
from .paths import is_secret_name
from .payloads import payload_findings
from .references import ReferenceChecker
from .session_checks import SessionChecker
from .string_checks import StringChecker
from .tree import TreeIndex

_SOURCE_KEYWORDS = ("source", "object", "stmt", "cmd", "code")


class PythonChecker:
    def __init__(self, tree: ast.Module, ctx: AnalysisContext) -> None:
        self.index = TreeIndex(tree)
        self.ctx = ctx
        self.names = NameTable(self.index)
        self.findings: list[RiskFinding] = []
        self.calls = CallChecker(self.names, ctx, self.findings)

    def add(self, code: str, severity: Severity, message: str, line: int | None) -> None:
        self.findings.append(finding(code, severity, message, line))

    def run(self) -> list[RiskFinding]:
        quiet: set[ast.AST] = set()
        calls = self.index.of(ast.Call)
        for call in calls:
            qual = self.names.resolve(call.func) or ""
            method = call.func.attr if isinstance(call.func, ast.Attribute) else None
            if not call_matters(qual, method):
                continue
            if qual in catalog.DOTENV_LOAD:
                # load_dotenv(".env") keeps the secrets out of sight: allowed.
                quiet.update(ast.walk(call))
            self.calls.check(call)
            self._exec(call, qual)
            self.findings += payload_findings(call, qual, self.names)
        for imported in self.index.of(ast.Import):
            self._import(imported)
        for imported_from in self.index.of(ast.ImportFrom):
            self._import(imported_from)
        for node in self.names.candidates(catalog.ENVIRON_LAST_NAMES):
            self._environ(node)
        for subscript in self.index.of(ast.Subscript):
            self._namespace_subscript(subscript)
        for raised in self.index.of(ast.Raise):
            self._raise(raised)
        ResourceChecker(self.index, self.names, self.findings).run()
        KernelStateChecker(self.index, self.names, self.ctx.scope, self.findings).run()
        StringChecker(self.index, self.names, self.findings, quiet).run()
        ReferenceChecker(self.index, self.names, self.findings).run()
        SessionChecker(self.index, self.names, self.ctx, self.findings, self.calls.writes).run()
        if self.names.too_deep:
            self.add(
                "unanalysable",
                "high",
                f"Names are defined through more than {MAX_CHAIN} other names, or attribute "
                "chains are too long; the safety check cannot follow what they refer to",
                None,
            )
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
            control = control_module(module)
            if control is not None:
                self.add(
                    "jupyter_control",
                    "high",
                    f"Imports {module}, which can reach the Jupyter server, its tokens or its "
                    "kernels",
                    node.lineno,
                )
            if catalog.dotted_prefix(module, catalog.NETWORK_MODULE_SET, exact=True):
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

    def _environ(self, node: ast.expr) -> None:
        context = getattr(node, "ctx", None)
        if context is not None and not isinstance(context, ast.Load):
            return
        if self.names.resolve(node) not in catalog.ENVIRON:
            return
        parent = self.index.parent(node)
        line = getattr(node, "lineno", None)
        if isinstance(parent, ast.Subscript) and parent.value is node:
            if isinstance(parent.ctx, ast.Load):
                key = self.names.key(parent.slice)
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

    def _namespace_subscript(self, node: ast.Subscript) -> None:
        """vars(os)[name], __builtins__.__dict__[name]: a function chosen at run time."""
        if not isinstance(node.ctx, ast.Load) or literal_string(node.slice) is not None:
            return
        namespace = self.names.namespace(node.value)
        if namespace is not None:
            self.add(
                "dynamic_attribute",
                "high",
                f"Picks an entry of {namespace}'s namespace by a name built at run time, "
                "which can hide what it calls",
                node.lineno,
            )

    # --- dynamic code ------------------------------------------------------------------------

    def _exec(self, node: ast.Call, qual: str) -> None:
        if qual not in catalog.EXEC_CALLS and qual not in catalog.DESERIALIZERS:
            return
        line = node.lineno
        sources = [node.args[0] if node.args else None]
        if sources[0] is None:
            sources[0] = next((k.value for k in node.keywords if k.arg in _SOURCE_KEYWORDS), None)
        if qual in catalog.EXEC_SETUP_CALLS:  # timeit("stmt", "setup"): both are run
            setup = node.args[1] if len(node.args) > 1 else None
            sources.append(
                setup or next((k.value for k in node.keywords if k.arg == "setup"), None)
            )
        for source in sources:
            if source is not None:
                self._exec_source(source, qual, line)

    def _exec_source(self, source: ast.expr, qual: str, line: int) -> None:
        if qual in catalog.DESERIALIZERS:
            if self.names.obfuscated(source):
                self.add(
                    "obfuscated_exec",
                    "block",
                    f"Loads hidden, encoded data with {qual}, which can run code — blocked",
                    line,
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

    def _raise(self, node: ast.Raise) -> None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if exc is not None and self.names.resolve(exc) == "SystemExit":
            self.add(
                "process_exit", "warning", "Raises SystemExit, which stops the cell", node.lineno
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
