"""What the strings of a cell point at: credential files, the Jupyter control plane,
destructive SQL, active HTML and JavaScript, unsafe YAML tags.

Strings are read as the cell builds them, not only as literals: ``f"/proc/{pid}/environ"``,
``"/proc/%d/environ" % pid`` and ``os.path.join("/proc", "self", "environ")`` all spell
``/proc/…/environ``. Only the outermost expression of a built string is rebuilt, so the
work stays linear in the size of the cell.
"""

from __future__ import annotations

import ast
import re

from .browser import html_findings
from .controlplane import control_findings
from .findings import RiskFinding, finding
from .literals import PATH_OBJECT_CONSTRUCTORS, UNKNOWN
from .names import NameTable
from .paths import credential_findings
from .sqltext import sql_findings
from .tree import TreeIndex

# A pickle's reference to a dangerous function, module then name: protocols 0-1
# ("cos\nsystem\n") and 2+ (short strings: "\x8c\x02os\x94\x8c\x06system\x94").
_PICKLE_MODULES = "os|posix|nt|subprocess|builtins|__builtin__|pty|shutil|socket|runpy"
_PICKLE_NAMES = (
    "system|popen|exec|eval|execv|execl|execvp|spawnv|call|run|check_call|check_output"
    "|getoutput|Popen|spawn|rmtree|remove|unlink|__import__|compile|connect|_run_code"
)
_PICKLED_CALL = re.compile(
    f"c(?:{_PICKLE_MODULES})\\n(?:{_PICKLE_NAMES})\\n"
    f"|\\x8c[\\x01-\\x0b](?:{_PICKLE_MODULES})\\x94\\x8c[\\x01-\\x0f](?:{_PICKLE_NAMES})\\x94"
)
_PATH_JOINERS = frozenset({"os.path.join", *PATH_OBJECT_CONSTRUCTORS})


class StringChecker:
    def __init__(
        self,
        index: TreeIndex,
        names: NameTable,
        findings: list[RiskFinding],
        quiet: set[ast.AST],
    ) -> None:
        self.index = index
        self.names = names
        self.findings = findings
        self.quiet = quiet  # strings not to scan (the argument of load_dotenv)

    def run(self) -> None:
        for constant in self.index.of(ast.Constant):
            if constant in self.quiet or not isinstance(constant.value, (str, bytes)):
                continue
            value = constant.value
            text = value if isinstance(value, str) else value.decode("latin-1")
            self.scan(text, constant.lineno, prose=self._docstring(constant))
        built: list[ast.JoinedStr | ast.BinOp | ast.Call] = [
            *self.index.of(ast.JoinedStr),
            *self.index.of(ast.BinOp),
            *self.index.of(ast.Call),
        ]
        for node in built:
            if self._outermost_string(node):
                built_text = self.names.template(node)
                if built_text is not None and built_text != UNKNOWN:
                    self.scan(built_text, node.lineno)
            if self._outermost_path(node):
                path = self.names.path(node)
                if path is not None and path.text:
                    shown = path.text if path.exact else path.text + UNKNOWN
                    self.findings.extend(credential_findings(shown, node.lineno))
                    self.findings.extend(control_findings(shown, node.lineno))

    def scan(self, text: str, line: int | None, *, prose: bool = False) -> None:
        """``prose``: a docstring, which is documentation, never SQL or HTML to show."""
        self.findings.extend(credential_findings(text, line))
        self.findings.extend(control_findings(text, line))
        if not prose:
            self.findings.extend(html_findings(text, line))
            self.findings.extend(sql_findings(text, line))
        if _PICKLED_CALL.search(text):
            self.findings.append(
                finding(
                    "hidden_payload",
                    "block",
                    "Contains pickle data that calls into os, subprocess or the builtins; "
                    "unpickling it runs a command — blocked",
                    line,
                )
            )
        if "!!python/" in text:
            self.findings.append(
                finding(
                    "hidden_payload",
                    "block",
                    "Contains a YAML !!python tag, which builds Python objects and runs code "
                    "when loaded — blocked",
                    line,
                )
            )

    def _docstring(self, node: ast.Constant) -> bool:
        return isinstance(self.index.parent(node), ast.Expr)

    def _is_string_op(self, node: ast.AST) -> bool:
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.BinOp):
            return isinstance(node.op, (ast.Add, ast.Mod))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return node.func.attr in ("format", "join", "replace")
        return False

    def _outermost_string(self, node: ast.AST) -> bool:
        if not self._is_string_op(node):
            return False
        parent = self.index.parent(node)
        if isinstance(parent, ast.FormattedValue):
            return False
        if isinstance(parent, ast.Attribute) and isinstance(self.index.parent(parent), ast.Call):
            return False  # "a".format(...) inside "...".join: judged at the outer call
        return parent is None or not self._is_string_op(parent)

    def _is_path_op(self, node: ast.AST) -> bool:
        if isinstance(node, ast.BinOp):
            return isinstance(node.op, ast.Div)
        return isinstance(node, ast.Call) and self.names.resolve(node.func) in _PATH_JOINERS

    def _outermost_path(self, node: ast.AST) -> bool:
        if not self._is_path_op(node):
            return False
        parent = self.index.parent(node)
        return parent is None or not self._is_path_op(parent)
