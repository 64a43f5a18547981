"""Checks on individual function calls: running commands, deleting and writing files.

``CallChecker.check`` looks at one ``ast.Call`` whose callee has been resolved to a
dotted name by ``NameTable`` and appends the findings it earns; the checks of what a
call reaches (network, secrets, dynamic code, the process) live in ``access.py``.
"""

from __future__ import annotations

import ast

from . import catalog
from .access import AccessChecks, argument
from .findings import RiskFinding, shorten
from .magics import analyze_escape
from .notebook import Escape, EscapeKind
from .paths import check_write, code_file_findings
from .shell import analyze_shell

_MAGIC_CALLS = frozenset(
    {"get_ipython().run_line_magic", "get_ipython().magic", "get_ipython().run_cell_magic"}
)


class CallChecker(AccessChecks):
    def check(self, node: ast.Call) -> None:
        qual = self.names.resolve(node.func) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        for check in (
            self._commands,
            self._deletes,
            self._writes,
            self._network,
            self._secrets,
            self._dynamic,
            self._process,
            self._display_and_data,
        ):
            check(node, qual, method)

    # --- running commands -------------------------------------------------------------

    def _commands(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        if qual in catalog.SHELL_STRING_CALLS or (
            not qual and method in catalog.SHELL_METHOD_NAMES
        ):
            command = argument(node, 0, "args", "cmd", "command")
            argv = self.names.argv(command) if command is not None else None
            text = self.names.template(command) if command is not None else None
            self._shell(argv if argv is not None else text, qual or f"…{method}", line)
        elif qual.startswith(catalog.SHELL_ARGV_PREFIXES) or qual in catalog.SHELL_ARGV_CALLS:
            tokens: list[str | None] = []
            for arg in node.args:
                listed = self.names.argv(arg)
                tokens += listed if listed is not None else [self.names.template(arg)]
            while tokens and tokens[0] is None:  # os.spawnv(os.P_WAIT, ...): the mode
                tokens.pop(0)
            self._shell(tokens[1:] if len(tokens) > 1 else tokens, qual, line)
            if qual.startswith("os.exec"):
                self.add(
                    "kernel_exit",
                    "high",
                    f"Replaces the kernel process with another "
                    f"program ({qual}); the kernel and its variables would be gone",
                    line,
                )
        elif qual.startswith("sh.") and self.names.imports.get("sh") == "sh":
            args = [self.names.template(a) for a in node.args]
            self._shell([qual[3:], *args], "the sh library", line)
        elif qual in _MAGIC_CALLS:
            self._magic(node, qual)
        elif qual in catalog.PACKAGE_CALLS:
            argv = self.names.argv(node.args[0]) if node.args else None
            shown = " ".join(a or "…" for a in argv) if argv else "…"
            self.add(
                "package_install",
                "high",
                f"Changes installed packages with {qual}"
                f"({shorten(shown, 50)}); this needs your approval",
                line,
            )

    def _shell(self, command: str | list[str | None] | None, via: str, line: int) -> None:
        if command is None or (isinstance(command, list) and not any(command)):
            self.add(
                "shell_command",
                "high",
                f"Runs a shell command via {via}, built at run "
                "time so the safety check cannot see what it does",
                line,
            )
            return
        self.findings += analyze_shell(
            command,
            scope=self.ctx.scope,
            line=line,
            via=via,
            python=self.ctx.python_hook(line),
            depth=self.ctx.depth,
        )

    def _magic(self, node: ast.Call, qual: str) -> None:
        texts = [self.names.template(a) for a in node.args]
        line = node.lineno
        if not texts or texts[0] is None or any(t is None for t in texts):
            self.add(
                "shell_command", "high", f"Runs an IPython magic built at run time ({qual})", line
            )
            return
        name, args, body = texts[0] or "", "", ""
        if qual.endswith(".magic"):  # magic("pip install x")
            name, _, args = name.lstrip("%").partition(" ")
        elif len(texts) > 1:
            args = texts[1] or ""
        cell = qual.endswith("run_cell_magic")
        kind: EscapeKind = "cell_magic" if cell else "line_magic"
        if cell and len(texts) > 2:
            body = texts[2] or ""
        escape = Escape(
            kind=kind, name=name.lstrip("%"), args=args, line=line, body=body, body_line=line
        )
        for found in analyze_escape(escape, self.ctx):
            self.findings.append(
                RiskFinding(
                    code=found.code, severity=found.severity, message=found.message, line=line
                )
            )

    # --- deleting and writing files --------------------------------------------------------

    def _deletes(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        target: ast.expr | None
        if qual in catalog.TREE_DELETE_CALLS:
            self.add(
                "recursive_delete",
                "block",
                f"Deletes a directory tree recursively ({qual}) — blocked",
                line,
            )
            target = argument(node, 0, "path")
        elif qual in catalog.DELETE_CALLS:
            self.add("file_delete", "high", f"Deletes a file or folder ({qual})", line)
            target = argument(node, 0, "path")
        elif qual == "os.truncate":
            self.add("file_delete", "high", "Empties a file (os.truncate)", line)
            target = argument(node, 0, "path")
        elif method in catalog.DELETE_METHOD_NAMES and not qual.startswith("os."):
            self.add("file_delete", "high", f"Deletes a file or folder (.{method}())", line)
            assert isinstance(node.func, ast.Attribute)
            target = node.func.value
        else:
            return
        self._path(
            target,
            line,
            qual or f".{method}()",
            code="delete_outside_root",
            verb="Deletes",
            unverified=False,
        )

    def _writes(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        if qual in catalog.OPEN_CALLS:
            path_index, mode_index, default = catalog.OPEN_CALLS[qual]
            mode = argument(node, mode_index, "mode")
            if self._writing_mode(mode, default):
                self._path(
                    argument(node, path_index, "file", "name", "filename"), line, f"{qual}()"
                )
        elif qual == "os.open":
            flags = ast.unparse(node.args[1]) if len(node.args) > 1 else ""
            if any(f in flags for f in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC")):
                self._path(argument(node, 0, "path"), line, "os.open()")
        elif qual in catalog.LINK_CALLS:
            self._link(argument(node, 0, "src"), argument(node, 1, "dst"), line, qual)
        elif qual in catalog.WRITE_CALLS:
            index = catalog.WRITE_CALLS[qual]
            self._path(argument(node, index, "dst", "filename", "file", "path", "name"), line, qual)
            if qual in catalog.MOVE_CALLS:
                self._path(
                    argument(node, 0, "src"),
                    line,
                    qual,
                    verb="Moves files away from",
                    unverified=False,
                )
        elif qual in catalog.INPLACE_FILE_CALLS:
            inplace = argument(node, 1, "inplace")
            if inplace is not None and not (
                isinstance(inplace, ast.Constant) and not inplace.value
            ):
                files = argument(node, 0, "files")
                items = files.elts if isinstance(files, (ast.List, ast.Tuple)) else [files]
                for item in items:
                    self._path(item, line, f"{qual}(inplace=True)")
        elif isinstance(node.func, ast.Attribute) and method is not None:
            receiver = node.func.value
            if method in catalog.LINK_METHOD_NAMES and self.names.is_path_object(receiver):
                self._link(argument(node, 0, "target"), receiver, line, f".{method}()")
            elif method in catalog.PATH_MOVE_METHODS and self.names.is_path_object(receiver):
                self._path(argument(node, 0, "target"), line, f".{method}()")
                self._path(
                    receiver, line, f".{method}()", verb="Moves files away from", unverified=False
                )
            elif method == "open" and self.names.path(receiver) is not None:
                if self._writing_mode(argument(node, 0, "mode"), "r"):
                    self._path(receiver, line, ".open()")
            elif method in catalog.PATH_SELF_WRITE_METHODS:
                self._path(receiver, line, f".{method}()")
            elif method in catalog.WRITE_METHOD_NAMES:
                self._path(argument(node, 0, *catalog.PATH_KEYWORDS), line, f".{method}()")
            elif method == "save" and node.args:
                self._path(node.args[0], line, ".save()", unverified=False)

    def _link(self, target: ast.expr | None, link: ast.expr | None, line: int, what: str) -> None:
        """A link inside the root to a place outside it lets later writes escape."""
        self._path(link, line, what)
        value = self.names.path(target) if target is not None else None
        place = self.ctx.scope.place(value)
        if place in ("outside", "home", "escape") and value is not None:
            self.add(
                "link_outside_root",
                "block",
                f"Creates a link to {value.text}, outside the Jupyter server's root; writes "
                f"through it would land there ({what}) — blocked",
                line,
            )
        elif place == "unknown":
            self.add(
                "link_outside_root",
                "high",
                f"Creates a link to a path computed at run time ({what}); it may lead "
                "outside the server root",
                line,
            )

    @staticmethod
    def _writing_mode(mode: ast.expr | None, default: str) -> bool:
        if mode is None:
            text = default
        elif isinstance(mode, ast.Constant) and isinstance(mode.value, str):
            text = mode.value
        else:
            return True  # a mode computed at run time may write
        return any(c in text for c in "wax+")

    def _is_handle(self, node: ast.expr) -> bool:
        """A file object, buffer or stream rather than a path (its creation is checked)."""
        if self.names.resolve(node) in ("sys.stdout", "sys.stderr"):
            return True
        if isinstance(node, ast.Call):
            return self.names.resolve(node.func) in catalog.MEMORY_BUFFERS
        if isinstance(node, ast.Name):
            values = self.names.values.get(node.id, [])
            return bool(values) and all(
                isinstance(v, ast.Call) and self.names.path(v) is None for v in values
            )
        return False

    def _path(
        self,
        node: ast.expr | None,
        line: int,
        what: str,
        *,
        code: str = "write_outside_root",
        verb: str = "Writes to",
        unverified: bool = True,
    ) -> None:
        if node is None or self._is_handle(node):
            return
        value = self.names.path(node)
        if verb == "Writes to" and value is not None:
            self.writes.append((value, line))
            self.findings += code_file_findings(value, line, what)
        self.findings += check_write(
            value,
            self.ctx.scope,
            line=line,
            what=what,
            code=code,
            verb=verb,
            unverified=unverified,
        )
