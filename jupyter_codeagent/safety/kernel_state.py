"""Changes to the kernel's own state that quietly change what later cells do.

- ``sys.path`` pointing outside the root: a later ``import`` runs code from there.
- Environment variables programs obey (``LD_PRELOAD``, ``PYTHONSTARTUP``, ``PATH``...):
  later commands and interpreters run other code.
- Replacing builtins (``builtins.print = ...``): every later cell behaves differently.
- Permissions opened to every user of the machine (``chmod 0o777``, ``umask(0)``).
- ``code.interact()``: an interactive interpreter inside the kernel.

All warnings: the user should look before it runs.
"""

from __future__ import annotations

import ast

from . import catalog
from .access import argument
from .bombs import int_value
from .findings import RiskFinding, finding
from .names import NameTable
from .paths import PathScope
from .tree import TreeIndex

_PATH_CALLS = frozenset(
    {"sys.path.insert", "sys.path.append", "sys.path.extend", "site.addsitedir"}
)
# Variables that make programs or interpreters load other code.
HIJACK_VARIABLES = catalog.words(
    "LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT DYLD_INSERT_LIBRARIES DYLD_LIBRARY_PATH PATH "
    "PYTHONPATH PYTHONSTARTUP PYTHONHOME PYTHONINSPECT PYTHONUSERBASE BROWSER EDITOR VISUAL "
    "PAGER GIT_SSH GIT_SSH_COMMAND SSH_ASKPASS GIT_ASKPASS BASH_ENV ENV PROMPT_COMMAND "
    "IPYTHONDIR JUPYTER_CONFIG_DIR JUPYTER_PATH PIP_INDEX_URL PIP_EXTRA_INDEX_URL"
)
_ENV_SETTERS = frozenset({"os.putenv", "os.environ.setdefault", "os.environ.__setitem__"})
_PERMISSION_CALLS = frozenset({"os.chmod", "os.lchmod", "os.fchmod"})


class KernelStateChecker:
    def __init__(
        self, index: TreeIndex, names: NameTable, scope: PathScope, findings: list[RiskFinding]
    ) -> None:
        self.index = index
        self.names = names
        self.scope = scope
        self.findings = findings

    def run(self) -> None:
        for call in self.index.of(ast.Call):
            self._call(call)
        for subscript in self.index.of(ast.Subscript):
            if isinstance(subscript.ctx, ast.Store):
                self._stored_item(subscript)
        for attribute in self.index.of(ast.Attribute):
            if isinstance(attribute.ctx, ast.Store):
                self._stored_attribute(attribute)

    def _add(self, code: str, message: str, node: ast.AST) -> None:
        self.findings.append(finding(code, "warning", message, getattr(node, "lineno", None)))

    def _call(self, node: ast.Call) -> None:
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        if method is None and not isinstance(func, ast.Name):
            return
        qual = self.names.resolve(func) or ""
        if qual in _PATH_CALLS:
            self._module_path(node, qual)
        elif qual in _ENV_SETTERS and node.args:
            self._env_variable(self.names.key(node.args[0]), node)
        elif qual == "os.environ.update" and node.args and isinstance(node.args[0], ast.Dict):
            for key in node.args[0].keys:
                if key is not None:
                    self._env_variable(self.names.key(key), node)
        elif qual == "setattr" and len(node.args) >= 2:
            if self.names.resolve(node.args[0]) in ("builtins", "__builtins__"):
                self._builtins(self.names.key(node.args[1]), node)
        elif qual == "code.interact":
            self._add(
                "dynamic_exec",
                "Starts an interactive Python interpreter inside the kernel (code.interact)",
                node,
            )
        elif qual in _PERMISSION_CALLS or (method == "chmod" and not qual.startswith("os.")):
            mode = argument(node, 1 if qual in _PERMISSION_CALLS else 0, "mode")
            value = int_value(mode, self.names) if mode is not None else None
            if value is not None and value & 0o002:
                self._add(
                    "world_writable",
                    f"Lets every user of the machine change these files (mode {value:#o})",
                    node,
                )
        elif qual == "os.umask" and node.args:
            value = int_value(node.args[0], self.names)
            if value is not None and not value & 0o002:
                self._add(
                    "world_writable",
                    f"Sets umask {value:#o}: files created later are writable by every user",
                    node,
                )

    def _module_path(self, node: ast.Call, qual: str) -> None:
        target = node.args[-1] if node.args else None
        value = self.names.path(target) if target is not None else None
        if self.scope.place(value) == "inside":
            return
        shown = value.text if value is not None and value.exact else "a computed folder"
        self._add(
            "module_path",
            f"Adds {shown} to where Python imports modules from ({qual}); a later import "
            "may run code from outside the server root",
            node,
        )

    def _env_variable(self, name: str | None, node: ast.AST) -> None:
        if name is not None and name.upper() in HIJACK_VARIABLES:
            self._add(
                "env_hijack",
                f"Sets {name}, which makes later programs or interpreters load other code",
                node,
            )

    def _builtins(self, name: str | None, node: ast.AST) -> None:
        self._add(
            "builtins_patch",
            f"Replaces the builtin {name or '(computed)'} for every later cell",
            node,
        )

    def _stored_item(self, node: ast.Subscript) -> None:
        base = self.names.resolve(node.value)
        if base in catalog.ENVIRON:
            self._env_variable(self.names.key(node.slice), node)
        elif base in ("__builtins__.__dict__", "builtins.__dict__", "__dict__"):
            self._builtins(self.names.key(node.slice), node)

    def _stored_attribute(self, node: ast.Attribute) -> None:
        if self.names.resolve(node.value) in ("builtins", "__builtins__"):
            self._builtins(node.attr, node)
