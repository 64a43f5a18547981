"""Checks of what a call reaches: the network, secrets, dynamic code, the kernel process.

The base of ``CallChecker`` (``calls.py``), split off to keep modules short.
"""

from __future__ import annotations

import ast

from . import catalog
from .browser import display_kind
from .context import AnalysisContext
from .controlplane import control_call, is_control_env
from .findings import RiskFinding, Severity, finding, shorten
from .names import NameTable, literal_string
from .paths import PathValue, is_secret_name, is_url

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
        # Every path the cell writes, as far as it is known: the data-loss checks compare
        # them with the files the session read.
        self.writes: list[tuple[PathValue, int]] = []

    def add(self, code: str, severity: Severity, message: str, line: int | None) -> None:
        self.findings.append(finding(code, severity, message, line))

    # --- network, secrets, dynamic code, the process ------------------------------------------

    def _network(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        last = method or qual.rsplit(".", 1)[-1]
        module = catalog.dotted_prefix(qual, catalog.NETWORK_MODULE_SET)
        control = control_call(qual)
        if control is not None:
            self.add("jupyter_control", "high", control, line)
        if module and "()" not in qual and qual not in catalog.NETWORK_HARMLESS:
            self.add("network_call", "high", f"Accesses the network ({qual})", line)
        elif qual in catalog.NETWORK_CALLS or (
            method in catalog.NETWORK_METHOD_NAMES and not qual.startswith(("pd.", "pandas."))
        ):
            self.add("network_call", "high", f"Opens a network connection ({qual or method})", line)
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
            name = self.names.key(name_node) if name_node is not None else None
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
            if name is not None and is_control_env(name):
                self.add(
                    "jupyter_control",
                    "high",
                    f"Reads {name}, which belongs to the Jupyter server or this extension",
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
            name = self.names.key(node.args[0]) if node.args else None
            if name is None:
                self.add(
                    "dynamic_import",
                    "warning",
                    f"Imports a module whose name is computed at run time ({qual})",
                    line,
                )
        elif qual in ("getattr", "object.__getattribute__") and len(node.args) >= 2:
            base = self.names.resolve(node.args[0])
            attr = self.names.key(node.args[1])
            if literal_string(node.args[1]) is None and base in catalog.SENSITIVE_MODULES:
                how = f"assembled at run time ({attr})" if attr else "computed at run time"
                self.add(
                    "dynamic_attribute",
                    "high",
                    f"Looks up a function of {base} by a name {how}, which hides what it calls",
                    line,
                )
            elif attr in catalog.INTROSPECTION_ATTRIBUTES:
                self.add(
                    "introspection_escape",
                    "high",
                    f"Looks up {attr}, which reaches modules and functions without naming them",
                    line,
                )
        elif isinstance(node.func, ast.Attribute) and method in ("get", "__getattribute__"):
            self._namespace_lookup(node.func.value, node.args[0] if node.args else None, line)
        elif qual in catalog.RUN_FILE_CALLS:
            self._run_file(node, qual, line)

    def _namespace_lookup(self, base: ast.expr, key: ast.expr | None, line: int) -> None:
        """vars(os)[name], os.__dict__.get(name): a module's function chosen at run time."""
        namespace = self.names.namespace(base)
        if namespace is None or key is None or literal_string(key) is not None:
            return
        self.add(
            "dynamic_attribute",
            "high",
            f"Picks an entry of {namespace}'s namespace by a name built at run time, "
            "which can hide what it calls",
            line,
        )

    def _run_file(self, node: ast.Call, qual: str, line: int) -> None:
        target = self.names.key(node.args[0]) if node.args else None
        if qual == "runpy.run_module":
            self.add(
                "run_module",
                "high",
                f"Runs the module {target or '(computed)'} as a program (runpy.run_module)",
                line,
            )
            return
        if qual == "importlib.util.spec_from_file_location" and len(node.args) > 1:
            target = self.names.key(node.args[1])
        shown = f" ({shorten(target, 50)})" if target else ""
        self.add(
            "run_file",
            "warning",
            f"Runs or reloads code from another file{shown} ({qual}); its code is not checked",
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

    def _display_and_data(self, node: ast.Call, qual: str, method: str | None) -> None:
        line = node.lineno
        if display_kind(qual) == "script":
            self.add(
                "browser_script",
                "high",
                f"Displays JavaScript ({qual}); it runs in JupyterLab with your login and can "
                "act on your behalf",
                line,
            )
        elif method == "to_sql":
            replace = argument(node, 99, "if_exists")
            if literal_string(replace) == "replace" if replace is not None else False:
                table = argument(node, 0, "name")
                shown = self.names.key(table) if table is not None else None
                self.add(
                    "sql_replace",
                    "warning",
                    f"Replaces the table {shown or '(computed)'} (to_sql if_exists='replace'); "
                    "the rows it holds now are dropped",
                    line,
                )
        elif method == "drop_all":
            self.add(
                "destructive_sql",
                "high",
                "Drops every table of the database (.drop_all()); the data cannot be recovered",
                line,
            )
