"""Checks of what a call reaches: the network, secrets, dynamic code, the kernel process.

The base of ``CallChecker`` (``calls.py``), split off to keep modules short.
"""

from __future__ import annotations

import ast

from . import catalog
from .context import AnalysisContext
from .findings import RiskFinding, Severity, finding, shorten
from .names import NameTable, literal_string
from .paths import is_secret_name, is_url

_URL_KEYWORDS = ("filepath_or_buffer", "path_or_buf", "path", "io", "url", "fname", "uri", "source")


def argument(node: ast.Call, index: int, *keywords: str) -> ast.expr | None:
    """The call's argument at ``index``, or passed by one of the keyword names."""
    if index < len(node.args) and not isinstance(node.args[index], ast.Starred):
        return node.args[index]
    for keyword in node.keywords:
        if keyword.arg in keywords:
            return keyword.value
    return None


class AccessChecks:
    def __init__(self, names: NameTable, ctx: AnalysisContext, findings: list[RiskFinding]):
        self.names = names
        self.ctx = ctx
        self.findings = findings

    def add(self, code: str, severity: Severity, message: str, line: int | None) -> None:
        self.findings.append(finding(code, severity, message, line))

    # --- network, secrets, dynamic code, the process ------------------------------------------

    def _network(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        last = method or qual.rsplit(".", 1)[-1]
        module = next((m for m in catalog.NETWORK_MODULES if qual.startswith(m + ".")), None)
        if module and "()" not in qual and qual not in catalog.NETWORK_HARMLESS:
            self.add("network_call", "high", f"Accesses the network ({qual})", line)
        elif qual in catalog.REMOTE_CODE_CALLS:
            self.add(
                "network_call", "high", f"Downloads and runs code from the internet ({qual})", line
            )
        elif qual.startswith(catalog.DOWNLOAD_PREFIXES) or last in catalog.DOWNLOAD_NAMES:
            self.add(
                "network_read",
                "warning",
                f"Downloads data from the internet ({qual or last})",
                line,
            )
        elif last.startswith(catalog.READER_PREFIXES) or last in catalog.READER_NAMES:
            source = argument(node, 0, *_URL_KEYWORDS)
            text = self.names.template(source) if source is not None else None
            if text is None or not is_url(text):
                return
            if last in catalog.PICKLE_READERS:
                self.add(
                    "remote_pickle",
                    "high",
                    f"Unpickles data downloaded from "
                    f"{shorten(text, 60)}; a pickle can run any code",
                    line,
                )
            else:
                self.add(
                    "network_read",
                    "warning",
                    f"Reads data from the internet ({shorten(text, 60)})",
                    line,
                )

    def _secrets(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        if qual in catalog.GETENV_CALLS:
            name_node = argument(node, 0, "key")
            name = literal_string(name_node) if name_node is not None else None
            if name is None:
                self.add(
                    "env_read_dynamic",
                    "warning",
                    f"Reads an environment variable whose name is computed at run time ({qual})",
                    line,
                )
            elif is_secret_name(name):
                self.add(
                    "secret_read",
                    "high",
                    f"Reads the secret-looking environment variable {name}",
                    line,
                )
        elif qual in catalog.DOTENV_DUMP:
            self.add(
                "credential_file",
                "block",
                "Reads every secret of a .env file into a variable — blocked",
                line,
            )
        elif qual in catalog.DOTENV_LOAD:
            self.add(
                "dotenv_load",
                "info",
                "Loads a .env file into the environment (without showing it)",
                line,
            )
        elif qual in catalog.PASSWORD_PROMPTS:
            self.add(
                "password_prompt",
                "high",
                "Asks you to type a password or secret (getpass); only answer if you expected this",
                line,
            )
        elif qual.startswith(tuple(m + "." for m in catalog.CREDENTIAL_STORE_MODULES)):
            self.add(
                "credential_store",
                "block",
                f"Reads or changes the system password store ({qual}) — blocked",
                line,
            )

    def _dynamic(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        if qual in catalog.DYNAMIC_IMPORTS:
            name = literal_string(node.args[0]) if node.args else None
            if name is None:
                self.add(
                    "dynamic_import",
                    "warning",
                    f"Imports a module whose name is computed at run time ({qual})",
                    line,
                )
        elif qual == "getattr" and len(node.args) >= 2 and literal_string(node.args[1]) is None:
            base = self.names.resolve(node.args[0])
            if base in catalog.SENSITIVE_MODULES:
                self.add(
                    "dynamic_attribute",
                    "high",
                    f"Looks up a function of {base} by a name "
                    "computed at run time, which can hide what it calls",
                    line,
                )

    def _process(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        if qual in catalog.KERNEL_KILL_CALLS:
            self.add(
                "kernel_exit",
                "high",
                f"Shuts down the notebook's kernel ({qual}); all variables would be lost",
                line,
            )
        elif qual in catalog.PROCESS_EXIT_CALLS:
            self.add(
                "process_exit",
                "warning",
                f"Calls {qual}, which stops the cell with SystemExit",
                line,
            )
        elif qual in catalog.PROCESS_KILL_CALLS or (
            qual.startswith("psutil.") and method in ("kill", "terminate", "send_signal")
        ):
            self.add(
                "process_kill",
                "high",
                f"Sends a signal to a process ({qual}); it can kill the kernel",
                line,
            )
        elif qual in catalog.SIGNAL_CALLS:
            self.add(
                "signal_handler",
                "warning",
                f"Changes signal handling ({qual}), which can break interrupting the kernel",
                line,
            )
        elif qual.startswith(tuple(m + "." for m in catalog.NATIVE_MODULES)):
            self.add(
                "native_code",
                "high",
                f"Calls native code through {qual}; a mistake crashes the kernel",
                line,
            )
        elif qual in catalog.CHDIR_CALLS:
            target = argument(node, 0, "path")
            value = self.names.path(target) if target is not None else None
            place = self.ctx.scope.place(value)
            severity: Severity = "high" if place in ("outside", "home", "escape") else "warning"
            if place == "inside":
                severity = "info"
            shown = value.text if value is not None and value.exact else "a computed path"
            self.add(
                "change_directory",
                severity,
                f"Changes the working directory to {shown}; "
                "later relative paths resolve from there",
                line,
            )
