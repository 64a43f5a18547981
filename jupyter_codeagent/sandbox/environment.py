"""The environment a kernel starts with.

Every kernel loses the configured secrets (provider keys and any variable holding one
of their values). A sandboxed kernel gets an allow-list on top: the variables a Python
stack and its native libraries read, minus anything named like a credential, so that
tokens the server was started with (``JUPYTERHUB_API_TOKEN``, ``GITHUB_TOKEN``, cloud
keys) never reach code the agents wrote.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping

from ..kernel.secrets import looks_like_secret_name
from .policy import PROVIDER_KEY_NAMES

_ALLOWED_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ",
        "COLORTERM", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "NO_COLOR", "PAGER",
        "VIRTUAL_ENV", "LD_LIBRARY_PATH", "MPLBACKEND", "MATPLOTLIBRC", "JAVA_HOME",
        "R_HOME", "SPARK_HOME", "HF_HOME", "HF_HUB_OFFLINE", "TORCH_HOME",
        "TOKENIZERS_PARALLELISM", "IPYTHONDIR", "JPY_SESSION_NAME",
    }
)  # fmt: skip
_ALLOWED_PREFIXES = (
    "LC_", "PYTHON", "CONDA_", "CUDA_", "NVIDIA_", "OMP_", "MKL_", "OPENBLAS_", "NUMBA_",
    "XDG_DATA", "XDG_CONFIG", "XDG_CACHE",
)  # fmt: skip
# Only meaningful with network access; proxies may carry credentials in their URL, a
# price users of a corporate proxy pay knowingly by choosing full network.
_NETWORK_NAMES = frozenset(
    {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}
)
# A configured value shorter than this could be a common word: match it exactly only.
_SUBSTRING_MIN = 8


def _holds_secret(value: str, secrets: Iterable[str]) -> bool:
    for secret in secrets:
        if value == secret or (len(secret) >= _SUBSTRING_MIN and secret in value):
            return True
    return False


def without_secrets(env: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    """``env`` minus provider keys and every variable holding a configured secret."""
    values = tuple(secrets)
    return {
        name: value
        for name, value in env.items()
        if name not in PROVIDER_KEY_NAMES
        and not (name.startswith("CODEAGENT_") and looks_like_secret_name(name))
        and not _holds_secret(value, values)
    }


def _allowed(name: str, *, kernelspec_names: frozenset[str], extra: Iterable[str]) -> bool:
    if name in _ALLOWED_NAMES or name in kernelspec_names or name.startswith(_ALLOWED_PREFIXES):
        return True
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in extra)


def sandbox_environment(
    env: Mapping[str, str],
    *,
    secrets: Iterable[str],
    kernelspec_names: Iterable[str] = (),
    extra_allowed: Iterable[str] = (),
    network: bool = False,
) -> dict[str, str]:
    """The allow-listed environment of a sandboxed kernel.

    ``kernelspec_names``: variables the kernelspec itself sets (``kernel.json`` "env"),
    which the user configured for this kernel on purpose. ``extra_allowed``: the
    user's own glob patterns. A name that looks like a credential is dropped whatever
    allowed it; so is a JupyterHub variable (its API token travels under several names).
    """
    specs = frozenset(kernelspec_names)
    patterns = tuple(extra_allowed)
    kept = {
        name: value
        for name, value in without_secrets(env, secrets).items()
        if (
            _allowed(name, kernelspec_names=specs, extra=patterns)
            or (network and name in _NETWORK_NAMES)
        )
        and not looks_like_secret_name(name)
        and not name.startswith(("JUPYTERHUB_", "JPY_API"))
    }
    # The host's temp dir is not mounted in the sandbox; its private /tmp is.
    kept["TMPDIR"] = "/tmp"
    kept.update(_writable_places(kept))
    return kept


def _writable_places(env: Mapping[str, str]) -> dict[str, str]:
    """Libraries that want a writable folder under the (read-only) home, and warn in
    every notebook output without one, get one in the private /tmp."""
    home = env.get("HOME") or ""
    places: dict[str, str] = {}
    if "IPYTHONDIR" not in env and home and not os.path.isdir(os.path.join(home, ".ipython")):
        places["IPYTHONDIR"] = "/tmp/.ipython"
    if "MPLCONFIGDIR" not in env:
        places["MPLCONFIGDIR"] = "/tmp/matplotlib"
        rc = os.path.join(home, ".config", "matplotlib", "matplotlibrc")
        if home and "MATPLOTLIBRC" not in env and os.path.isfile(rc):
            places["MATPLOTLIBRC"] = rc
    return places
