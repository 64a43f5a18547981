"""Where a path points, relative to the Jupyter server root, and which paths hold secrets.

Pure string logic: the analyzer never touches the file system (the cell has not run,
and the server must not be steered into probing paths by a proposed cell).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Literal

from .catalog import AUTORUN_FILE_NAMES, AUTORUN_SUFFIXES, CODE_FILE_SUFFIXES, words
from .findings import RiskFinding, finding

PathPlace = Literal["inside", "outside", "home", "escape", "unknown"]


@dataclass(frozen=True, kw_only=True)
class PathValue:
    """A path as far as the analyzer can read it from the source.

    ``exact`` is False when only a literal prefix is known (an f-string or a
    concatenation with a variable): ``f"/etc/{name}"`` is known to be under /etc.
    """

    text: str
    exact: bool = True


@dataclass(frozen=True, kw_only=True)
class PathScope:
    """The folders paths are judged against: the server root and the kernel's cwd."""

    root_dir: str | None = None
    cwd: str | None = None

    def place(self, value: PathValue | None) -> PathPlace:
        return place_of(value, self)


_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
# Device files that are harmless to write to ("> /dev/null" is everywhere in shell).
_HARMLESS = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"}


def _norm(text: str) -> str:
    text = text.replace("\\", "/") if _DRIVE.match(text) or text.startswith("\\\\") else text
    return posixpath.normpath(text)


def _is_absolute(text: str) -> bool:
    return text.startswith("/") or bool(_DRIVE.match(text)) or text.startswith("\\\\")


def _within(path: str, folder: str) -> bool:
    if _DRIVE.match(path) or _DRIVE.match(folder):  # Windows paths compare case-insensitively
        path, folder = path.lower(), folder.lower()
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _root(scope: PathScope) -> str | None:
    if scope.root_dir is None:
        return None
    root = _norm(posixpath.expanduser(scope.root_dir))
    return root if _is_absolute(root) else None


def place_of(value: PathValue | None, scope: PathScope) -> PathPlace:
    """Classify a path: inside the root, outside it, in the home folder, escaping with ..

    ``unknown`` means the path is computed at run time and cannot be checked here.
    """
    if value is None:
        return "unknown"
    text = value.text.strip()
    if not text:
        return "unknown"  # f"{folder}/x.csv": nothing literal to go on
    if text.startswith(("~", "$HOME", "${HOME}", "%USERPROFILE%")):
        return "home"  # "~/x", "~user/x", or a home prefix of an f-string
    if not value.exact:
        # Only the literal folder part is certain: f"/etc/{x}" is under /etc, and
        # f"out_{x}.csv" stays in the working folder (its first character is literal).
        cut = max(text.rfind("/"), text.rfind("\\"))
        text = text[: cut + 1] if cut >= 0 else "."
    if text in _HARMLESS:
        return "inside"
    root = _root(scope)
    if _is_absolute(text):
        path = _norm(text)
        if root is None:
            return "outside"  # no root to prove it inside: treat as outside
        if _within(path, root):
            return "inside"
        # "/home/" + name could still land inside "/home/me/project".
        if not value.exact and _within(root, path):
            return "unknown"
        return "outside"
    base = scope.cwd
    if base is not None and root is not None:
        base_abs = _norm(base if _is_absolute(base) else posixpath.join(root, base))
        return "inside" if _within(_norm(posixpath.join(base_abs, text)), root) else "escape"
    normalized = _norm(text)
    return "escape" if normalized == ".." or normalized.startswith("../") else "inside"


def outside_message(verb: str, value: PathValue, place: PathPlace) -> str:
    shown = value.text if value.exact else value.text + "…"
    if place == "home":
        return f"{verb} {shown} (your home folder), outside the Jupyter server's root — blocked"
    if place == "escape":
        return f"{verb} {shown}, which climbs out of the notebook's folder with '..' — blocked"
    return f"{verb} {shown}, outside the Jupyter server's root folder — blocked"


def check_write(
    value: PathValue | None,
    scope: PathScope,
    *,
    line: int | None,
    what: str,
    code: str = "write_outside_root",
    verb: str = "Writes to",
    unverified: bool = True,
) -> list[RiskFinding]:
    """Findings for a write (or delete) of ``value``: block outside the root, warn if unknown."""
    place = scope.place(value)
    if place in ("outside", "home", "escape") and value is not None:
        return [finding(code, "block", f"{outside_message(verb, value, place)} ({what})", line)]
    if place == "unknown" and unverified:
        return [
            finding(
                "write_unverified_path",
                "warning",
                f"{verb} a path computed at run time ({what}); the safety check cannot "
                "confirm it stays inside the server root",
                line,
            )
        ]
    return []


def code_file_findings(value: PathValue, line: int | None, what: str) -> list[RiskFinding]:
    """Writing code from Python: its content is unseen, and it runs when imported or run.

    (``%%writefile`` bodies are analysed as the code they are, in ``magics.py``.)
    """
    if not value.exact:
        return []
    path = value.text.replace("\\", "/")
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if name in AUTORUN_FILE_NAMES or name.endswith(AUTORUN_SUFFIXES) or "/startup/" in path:
        return [
            finding(
                "autorun_file",
                "high",
                f"Writes {name}, which Python, IPython or pytest runs by itself later ({what})",
                line,
            )
        ]
    if name.endswith(CODE_FILE_SUFFIXES):
        return [
            finding(
                "code_file_write",
                "warning",
                f"Writes the code file {name} ({what}); the safety check cannot see the code "
                "it will hold, and importing or running it later runs that code",
                line,
            )
        ]
    return []


# --- credentials -------------------------------------------------------------------

_CRED_DIRS = {
    ".ssh": "SSH keys (~/.ssh)",
    ".aws": "AWS credentials (~/.aws)",
    ".gnupg": "GPG keys (~/.gnupg)",
    ".kube": "Kubernetes credentials (~/.kube)",
    ".azure": "Azure credentials (~/.azure)",
}
_CRED_FILES = {
    ".netrc": "saved logins (.netrc)",
    "_netrc": "saved logins (_netrc)",
    ".pgpass": "PostgreSQL passwords (.pgpass)",
    ".git-credentials": "git credentials (.git-credentials)",
    ".pypirc": "PyPI credentials (.pypirc)",
    ".env": "a secrets file (.env)",
    "id_rsa": "an SSH private key",
    "id_dsa": "an SSH private key",
    "id_ecdsa": "an SSH private key",
    "id_ed25519": "an SSH private key",
}
_SYSTEM_FILES = {
    "/etc/shadow": "the system password hashes (/etc/shadow)",
    "/etc/gshadow": "the system group password hashes (/etc/gshadow)",
    "/etc/passwd": "the system user list (/etc/passwd)",
    "/etc/sudoers": "the sudo configuration (/etc/sudoers)",
    "/etc/master.passwd": "the system password file",
}
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist")
_PATH_SHAPED = re.compile(r"^[^\s'\"]{2,300}$")


def credential_kind(text: str) -> str | None:
    """What secret a path-shaped string points at, or None.

    Only strings without spaces are considered: a message like "put your key in
    ~/.aws/credentials" is prose, not a file access.
    """
    if not _PATH_SHAPED.match(text):
        return None
    path = text.replace("\\", "/")
    if re.search(r"/proc/[^/]+/environ$", path):
        return "ENVIRON"
    if path in _SYSTEM_FILES:
        return _SYSTEM_FILES[path]
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    for part in parts:
        if part in _CRED_DIRS:
            return _CRED_DIRS[part]
    if ".config/gcloud" in path:
        return "Google Cloud credentials (~/.config/gcloud)"
    name = parts[-1]
    if name in _CRED_FILES:
        return _CRED_FILES[name]
    if name.startswith(".env.") and not name.endswith(_ENV_TEMPLATES):
        return _CRED_FILES[".env"]
    return None


def credential_findings(text: str, line: int | None) -> list[RiskFinding]:
    kind = credential_kind(text)
    if kind is None:
        return []
    if kind == "ENVIRON":
        return [
            finding(
                "env_dump",
                "block",
                f"Reads the whole process environment ({text}), which holds API keys — blocked",
                line,
            )
        ]
    return [finding("credential_file", "block", f"Accesses {kind} — blocked", line)]


# --- secret-looking environment variable names ---------------------------------------

_SECRET_WORDS = words(
    "KEY APIKEY TOKEN SECRET SECRETS PASSWORD PASSWD PASS PASSPHRASE CREDENTIAL "
    "CREDENTIALS AUTH PRIVATE COOKIE DSN PWD_HASH SESSIONID"
)
_SECRET_PARTS = ("APIKEY", "PASSWORD", "SECRET", "TOKEN", "PASSWD", "CREDENTIAL")
_NOT_SECRET = {"PWD", "OLDPWD", "KEYTIMEOUT", "KEYMAP", "TOKENIZERS_PARALLELISM"}


def is_secret_name(name: str) -> bool:
    """Does an environment variable name look like it holds a key, token or password?"""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)  # camelCase → camel_Case
    upper = spaced.upper()
    if upper in _NOT_SECRET or name.upper() in _NOT_SECRET:
        return False
    if upper in ("DATABASE_URL", "DB_URL"):  # connection strings embed the password
        return True
    words = [w for w in re.split(r"[^A-Z0-9]+", upper) if w]
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(part in w for w in words for part in _SECRET_PARTS)


_URL = re.compile(r"^(https?|ftp|s3|gs|gcs|az|abfss?|hdfs)://", re.IGNORECASE)


def is_url(text: str) -> bool:
    return bool(_URL.match(text.strip()))
