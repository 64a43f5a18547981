"""Which paths a sandboxed kernel must not see, and which must stay read-only in the root.

Hidden: the Jupyter server's own state (runtime dir with ``jpserver-*.json`` tokens and
every kernel's connection file, config dirs, the user data dir with this extension's
database and the notebook-signing secret) and the usual credential stores of the home
folder. Read-only even inside the writable root: what the server or the user's shell
would later *execute* (the Python environment, dotfiles of a home that is the root,
``.git`` whose hooks and config run on the next commit).
"""

from __future__ import annotations

import contextlib
import os
import site
import sys
from collections.abc import Iterable, Mapping

# Credential stores, relative to the home folder.
HOME_SECRETS: tuple[str, ...] = (
    ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".netrc", ".git-credentials",
    ".pypirc", ".npmrc", ".pgpass", ".my.cnf", ".vault-token", ".databrickscfg",
    ".password-store", ".kaggle", ".huggingface", ".terraform.d", ".gem/credentials",
    ".cargo/credentials", ".cargo/credentials.toml", ".config/gcloud", ".config/gh",
    ".config/hub", ".config/git/credentials", ".config/rclone", ".config/google-chrome",
    ".config/chromium", ".mozilla", ".local/share/keyrings", ".cache/huggingface/token",
    ".cache/huggingface/stored_tokens", ".bash_history", ".zsh_history", ".python_history",
)  # fmt: skip
# Environment variables that point at credentials kept elsewhere.
ENV_SECRET_PATHS: tuple[str, ...] = (
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG", "AZURE_CONFIG_DIR", "KUBECONFIG", "DOCKER_CONFIG", "NETRC",
    "HF_TOKEN_PATH", "PGPASSFILE", "GNUPGHOME", "KAGGLE_CONFIG_DIR", "PIP_CONFIG_FILE",
    "SSH_AUTH_SOCK", "XDG_RUNTIME_DIR",
)  # fmt: skip
# SQLite keeps recent writes next to the database file.
_DB_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _unique(paths: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for path in paths:
        if path:
            seen[os.path.abspath(path)] = None
    return tuple(seen)


def with_real_paths(paths: Iterable[str]) -> tuple[str, ...]:
    """Each path and, when a symlink leads elsewhere, its target (hide both)."""
    out: list[str] = []
    for path in paths:
        out.append(path)
        real = os.path.realpath(path)
        if real != os.path.abspath(path):
            out.append(real)
    return _unique(out)


def jupyter_state_paths() -> tuple[str, ...]:
    """Jupyter's runtime dir, user data dir and every config dir (read at call time)."""
    from jupyter_core import paths as jpaths

    return _unique(
        [jpaths.jupyter_runtime_dir(), jpaths.jupyter_data_dir(), *jpaths.jupyter_config_path()]
    )


def credential_paths(home: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    found = [os.path.join(home, rel) for rel in HOME_SECRETS]
    for name in ENV_SECRET_PATHS:
        value = environ.get(name, "")
        found.extend(part for part in value.split(os.pathsep) if os.path.isabs(part))
    return _unique(found)


def hidden_paths(
    *,
    db_path: str,
    server_files: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """Everything a sandboxed kernel must not read, existing or not (checked at launch)."""
    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    paths = [*jupyter_state_paths(), *credential_paths(home, env), *server_files]
    if db_path:
        paths.extend(db_path + suffix for suffix in _DB_SUFFIXES)
    return with_real_paths(paths)


def is_within(path: str, folder: str) -> bool:
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def python_paths() -> tuple[str, ...]:
    """The server's Python: prefixes, site-packages and import path."""
    paths = [sys.prefix, sys.exec_prefix, sys.base_prefix]
    with contextlib.suppress(AttributeError):  # virtualenv's old site.py has none
        paths.extend(site.getsitepackages())
    paths.append(site.getusersitepackages())
    paths.extend(p for p in sys.path if p and os.path.isabs(p))
    return _unique(p for p in paths if os.path.exists(p))


def read_only_in_root(root: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    """Existing paths inside the writable root that the kernel must not change."""
    candidates = list(python_paths())
    candidates.extend(p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p)
    candidates.append(os.path.join(root, ".git"))
    home = environ.get("HOME") or os.path.expanduser("~")
    if is_within(home, root) and os.path.isdir(home):
        # The root is the home folder (or above it): its dotfiles run in the user's
        # next shell, unsandboxed.
        candidates.extend(os.path.join(home, name) for name in os.listdir(home) if name[0] == ".")
    return _unique(
        p for p in candidates if os.path.exists(p) and is_within(p, root) and not is_within(root, p)
    )
