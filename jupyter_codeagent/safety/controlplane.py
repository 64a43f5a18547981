"""The Jupyter control plane: what kernel code must not touch outside a sandbox.

A cell that reads the server's token (runtime files, ``JUPYTERHUB_API_TOKEN``), Jupyter's
configuration, this extension's database, or talks HTTP/WebSocket/ZMQ to the server on
this machine can approve its own cells or loosen the policy (issue 11). All of it is
rated high. Matching is plain substring search and bounded patterns: linear in the text.
"""

from __future__ import annotations

import re

from .catalog import dotted_prefix, words
from .findings import RiskFinding, Severity, finding

CONTROL_MODULES = (
    "jupyter_server",
    "notebook",
    "nbclassic",
    "jupyter_core",
    "jupyter_client",
    "jupyterhub",
    "jupyterlab",
    "jupyter_codeagent",
    "jupyter_server_ydoc",
    "jupyter_collaboration",
    "ipykernel.connect",
    "ipykernel.get_connection_file",
    "ipykernel.get_connection_info",
    "ipykernel.kernelapp",
    "ipykernel.zmqshell",
    "zmq",
)
# Attributes of the IPython shell that lead to the kernel's sockets, session key or config.
CONTROL_SHELL_PREFIXES = (
    "get_ipython().kernel",
    "get_ipython().config",
    "get_ipython().parent",
    "get_ipython().connection_file",
)
CONTROL_MAGICS = frozenset({"connect_info", "qtconsole"})
_CONTROL_ENV = words(
    "JUPYTER_TOKEN JUPYTERHUB_API_TOKEN JUPYTERHUB_API_URL JUPYTER_RUNTIME_DIR "
    "JUPYTER_CONFIG_DIR JUPYTER_DATA_DIR JUPYTER_PATH JUPYTER_CONFIG_PATH JUPYTER_SERVER_URL "
    "JUPYTER_SERVER_ROOT"
)
_CONTROL_ENV_PREFIXES = ("JPY_", "JUPYTERHUB_", "CODEAGENT_")
_LOCAL_HOSTS = frozenset(
    {"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1", "[::]", "ip6-localhost"}
)
_SCHEMES = ("http://", "https://", "ws://", "wss://", "tcp://")
# Jupyter Server and Notebook (8888 and the next free ones), JupyterHub's proxy and API.
_JUPYTER_PORTS = frozenset({*range(8888, 8900), 8000, 8001, 8081})
_MARKERS: tuple[tuple[str, str], ...] = (
    ("jpserver-", "the Jupyter server's runtime file, which holds its token"),
    ("nbserver-", "the Jupyter server's runtime file, which holds its token"),
    ("jupyter/runtime", "Jupyter's runtime folder (server tokens, kernel connection files)"),
    ("jupyter_runtime", "Jupyter's runtime folder (server tokens, kernel connection files)"),
    ("codeagent.db", "this extension's database (sessions, approvals, audit)"),
    ("jupyter_server_config", "the Jupyter server's configuration"),
    ("jupyter_notebook_config", "the Jupyter server's configuration"),
    ("jupyter_lab_config", "the Jupyter server's configuration"),
    ("jupyterhub_config", "JupyterHub's configuration"),
    ("share/jupyter", "Jupyter's data folder"),
    ("library/jupyter", "Jupyter's data folder"),
    ("appdata/roaming/jupyter", "Jupyter's data folder"),
    ("programdata/jupyter", "Jupyter's configuration folder"),
    ("/etc/jupyter", "Jupyter's configuration folder"),
    (".ipython/profile_", "IPython's profile (start-up code runs in every kernel)"),
    ("ipython_kernel_config", "the kernel's configuration"),
    ("ipython_config.py", "IPython's configuration"),
    ("connection_file", "the kernel's connection file (its sockets and signing key)"),
    ("ipc://", "a kernel's IPC socket"),
    ("/codeagent/", "this extension's API (approvals and settings)"),
    ("/hub/api", "JupyterHub's API"),
    ("/api/kernels", "the Jupyter server's API"),
    ("/api/sessions", "the Jupyter server's API"),
    ("/api/contents", "the Jupyter server's API"),
    ("/api/terminals", "the Jupyter server's API"),
    ("/api/kernelspecs", "the Jupyter server's API"),
    ("/api/config", "the Jupyter server's API"),
    ("/api/events", "the Jupyter server's API"),
    ("/api/me", "the Jupyter server's API"),
    ("/api/collaboration", "the Jupyter server's API"),
)
# Every marker, pattern and host below contains one of these: a single search rules a
# string out before the closer look (literal alternatives: linear in the text).
_ANCHORS = re.compile(
    r"jupyter|server-|codeagent|ipython|connection_file|ipc://|/api/|/hub/|kernel-|://"
    r"|localhost|127\.|0\.0\.0\.0|::|ip6-"
)
_CONFIG_DIR = re.compile(r"(^|[/\\~])\.jupyter([/\\]|$)")
_KERNEL_FILE = re.compile(r"kernel-[\w*.-]{0,80}\.json")
_LOCAL_PORT = re.compile(r"localhost:(\d{1,5})")


_CONTROL_MODULE_SET = frozenset(CONTROL_MODULES)


def control_module(name: str) -> str | None:
    """The Jupyter package a dotted name belongs to, or None."""
    return dotted_prefix(name, _CONTROL_MODULE_SET, exact=True)


def control_call(qual: str) -> str | None:
    """Why a resolved callee touches the control plane, or None."""
    if qual.startswith(CONTROL_SHELL_PREFIXES):
        return f"Reaches the kernel's own machinery ({qual.split('(')[0]}()…)"
    module = control_module(qual)
    if module is not None:
        return f"Uses {module}, which can reach the Jupyter server or its kernels ({qual})"
    return None


def is_control_env(name: str) -> bool:
    """An environment variable naming Jupyter's tokens, folders or this extension's settings."""
    upper = name.upper()
    return upper in _CONTROL_ENV or upper.startswith(_CONTROL_ENV_PREFIXES)


def control_text(text: str) -> list[tuple[Severity, str]]:
    """What a string in the cell points at on the control plane (severity, description)."""
    if len(text) > 4096:  # control-plane paths and URLs are short; long text is prose/data
        text = text[:4096]
    lowered = text.lower().replace("\\", "/")
    found: list[tuple[Severity, str]] = []
    if not _ANCHORS.search(lowered):  # nearly every string: nothing to look at closely
        if text.isidentifier() and is_control_env(text):
            found.append(("high", f"the Jupyter/extension environment variable {text}"))
        return found
    for marker, description in _MARKERS:
        if marker in lowered:
            found.append(("high", description))
            break
    if _CONFIG_DIR.search(lowered):
        found.append(("high", "Jupyter's configuration folder (~/.jupyter)"))
    if "json" in lowered and _KERNEL_FILE.search(lowered):
        found.append(("high", "a kernel connection file (the kernel's sockets and signing key)"))
    host, port = _url_authority(lowered)
    if host is not None and (host in _LOCAL_HOSTS or host.startswith("127.")):
        # A port known not to be Jupyter's (MLflow's 5000, Dash's 8050) is a warning;
        # Jupyter's usual ports, or a port computed at run time, are high.
        jupyter = port is None or not port.isdigit() or int(port) in _JUPYTER_PORTS
        where = f"{host}:{port}" if port else host
        if jupyter:
            found.append(("high", f"a server on this machine ({where}), such as Jupyter's"))
        else:
            found.append(("warning", f"a server on this machine ({where})"))
    else:
        local = _LOCAL_PORT.search(lowered)  # "localhost:8500" without a scheme (gRPC)
        if local is not None:
            number = int(local.group(1))
            severity: Severity = "high" if number in _JUPYTER_PORTS else "warning"
            found.append((severity, f"a server on this machine (localhost:{number})"))
    stripped = lowered.strip()
    if not found and (stripped in _LOCAL_HOSTS or stripped.startswith("127.0.0.")):
        found.append(("warning", f"a server on this machine ({stripped})"))
    if not found and text.isidentifier() and is_control_env(text):
        found.append(("high", f"the Jupyter/extension environment variable {text}"))
    return found


def control_findings(text: str, line: int | None) -> list[RiskFinding]:
    return [
        finding("jupyter_control", severity, f"Refers to {what}", line)
        for severity, what in control_text(text)
    ]


def _url_authority(lowered: str) -> tuple[str | None, str | None]:
    """The host and port of the first URL in the text (port None when not given)."""
    start = -1
    for scheme in _SCHEMES:
        start = lowered.find(scheme)
        if start >= 0:
            start += len(scheme)
            break
    if start < 0:
        return None, None
    rest = lowered[start : start + 300]
    end = len(rest)
    for stop in "/?#":
        index = rest.find(stop)
        if index >= 0:
            end = min(end, index)
    authority = rest[:end].rsplit("@", 1)[-1]
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            return authority, None
        port = authority[close + 2 :] if authority[close + 1 : close + 2] == ":" else ""
        return authority[: close + 1], port or None
    host, _, port = authority.partition(":")
    return host, port or None
