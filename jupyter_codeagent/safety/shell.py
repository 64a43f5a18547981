"""Risk analysis of shell command lines: ``!cmd``, ``%%bash`` bodies, subprocess arguments.

A shell line is split into simple commands (at ``;``, ``&&``, ``|`` ...) and each is
judged by its program name and arguments. Every shell command is at least a
``shell_command`` finding: high, or a warning when everything in it is a read-only
inspection command such as ``ls`` or ``nvidia-smi``.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import shlex
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .catalog import words
from .findings import RiskFinding, Severity, finding, shorten
from .paths import PathScope, PathValue, check_write, credential_findings, is_secret_name

# Analyses Python source embedded in a shell line (``python -c``, IPython ``{expr}``).
PythonHook = Callable[[str], list[RiskFinding]]

_READ_ONLY = words(
    "ls ll la dir pwd cd echo printf cat head tail wc du df free nproc lscpu lsb_release "
    "nvidia-smi which whereis type date whoami hostname uname file stat tree grep egrep "
    "fgrep zgrep sort uniq cut less more diff md5sum sha1sum sha256sum true false sleep "
    "column zcat find realpath basename dirname nvcc uptime jupyter ps top"
)
_PACKAGE_TOOLS = words(
    "pip pip3 pipx uv conda mamba micromamba poetry pdm apt apt-get yum dnf brew npm yarn "
    "gem cargo easy_install"
)
_PACKAGE_VERBS = words("install uninstall remove add update upgrade sync create reinstall")
_NETWORK = words(
    "curl wget nc ncat netcat ssh scp sftp ftp telnet rsync aria2c http https lynx socat "
    "aws gcloud gsutil az kaggle"
)
_GIT_NETWORK = {"clone", "pull", "push", "fetch", "ls-remote", "submodule"}
_INTERPRETERS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python3", "perl", "ruby"}
_WRAPPERS = {"sudo", "doas", "nohup", "time", "command", "exec", "nice", "stdbuf", "xargs"}
_DESTRUCTIVE = {"mkfs", "fdisk", "shutdown", "reboot", "halt", "poweroff", "wipefs", "parted"}
_DELETERS = {"rmdir", "unlink", "shred", "truncate"}
_WRITERS_LAST = {"cp", "mv", "ln", "install"}
_WRITERS_ALL = {"tee", "touch", "mkdir", "chmod", "chown", "chgrp"}
_KILLERS = {"kill", "pkill", "killall"}
_ENV_DUMPERS = {"env", "printenv"}
_SEPARATORS = set(";&|()")
_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")
_SECRET_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_MAX_DEPTH = 3
_EXPANSION = re.compile(r"\{([^{}]+)\}")  # IPython evaluates {expr} in ! lines as Python


@dataclass
class _Command:
    words: list[str | None] = field(default_factory=list)  # None: not known statically
    writes: list[str] = field(default_factory=list)  # redirection targets
    piped: bool = False  # reads a pipe from the previous command


def _prototype_lexer() -> shlex.shlex:
    lexer = shlex.shlex("", posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # '#' only starts a comment at a word start; handled below
    return lexer


# Building a shlex with punctuation_chars costs more than lexing a short command (it
# re-derives its character tables); each command gets a copy of this one instead.
_PROTOTYPE = _prototype_lexer()


def tokenize(text: str) -> list[str]:
    """Shell-like tokens, keeping operators (``;``, ``|``, ``>``) as their own tokens."""
    text = text.replace("\\\n", " ").replace("$(", " ( ").replace("`", " ; ")
    text = text.replace("\r", "").replace("\n", " ; ")
    lexer = copy.copy(_PROTOTYPE)
    lexer.instream = io.StringIO(text)
    # The queues of pending tokens and characters: a copy must not share the prototype's.
    vars(lexer).update(pushback=deque(), filestack=deque(), _pushback_chars=deque())
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: fall back to plain words
        return text.split()


def _split(tokens: Sequence[str | None]) -> list[_Command]:
    commands = [_Command()]
    in_comment = False
    expect_target = False
    for token in tokens:
        current = commands[-1]
        if token is not None and token and set(token) <= _SEPARATORS | {"<", ">"}:
            in_comment = False
            if ">" in token:
                expect_target = True
            elif token != "<":
                commands.append(_Command(piped="|" in token and token != "||"))
            continue
        if in_comment:
            continue
        if token is not None and token.startswith("#"):
            in_comment = True
            continue
        if expect_target:
            expect_target = False
            if token is not None and not token.isdigit():
                current.writes.append(token)
            continue
        current.words.append(token)
    for command in commands:  # "2>file": the "2" is a file descriptor, not an argument
        if command.writes and command.words and command.words[-1] == "2":
            command.words.pop()
    return [c for c in commands if c.words or c.writes]


def _program(words: list[str | None]) -> tuple[str | None, list[str | None], bool]:
    """Strip wrappers (sudo, nohup, VAR=x ...) → (program, arguments, privileged)."""
    privileged = False
    index = 0
    while index < len(words):
        word = words[index]
        if word is None:
            return None, words[index + 1 :], privileged
        name = posixpath.basename(word)
        if _ASSIGNMENT.match(word):
            index += 1
        elif name in _WRAPPERS:
            privileged = privileged or name in ("sudo", "doas")
            index += 1
        elif name in ("env", "timeout") and index + 1 < len(words):
            # "env X=1 cmd" runs cmd; "timeout 10 cmd" likewise. Bare "env" dumps.
            rest = words[index + 1 :]
            if name == "timeout" or any(w is not None and _ASSIGNMENT.match(w) for w in rest):
                index += 2 if name == "timeout" else 1
            else:
                return name, rest, privileged
        else:
            return name, words[index + 1 :], privileged
    return None, [], privileged


def _literal(args: Sequence[str | None]) -> list[str]:
    return [a for a in args if a is not None]


def package_command(tool: str, args: Sequence[str | None], line: int | None) -> list[RiskFinding]:
    """pip/conda/apt... with an installing verb → high ``package_install``."""
    literal = _literal(args)
    verbs = [a for a in literal if not a.startswith("-")]
    if tool == "uv" and verbs[:1] == ["pip"]:
        verbs = verbs[1:]
    if tool == "conda" and verbs[:1] == ["env"]:
        verbs = verbs[1:]
    if not verbs or verbs[0] not in _PACKAGE_VERBS:
        return []
    shown = shorten(" ".join([tool, *literal]), 70)
    return [
        finding(
            "package_install",
            "high",
            f"Changes installed packages (`{shown}`); this alters the environment "
            "and needs your approval",
            line,
        )
    ]


class _ShellAnalysis:
    """One pass over a command line; collects findings and whether it is harmless.

    Harmless means: only inspection commands (``ls``, ``head``, ``nvidia-smi``...),
    writing at most into the server root through redirection.
    """

    def __init__(self, scope: PathScope, line: int | None, python: PythonHook | None, depth: int):
        self.scope = scope
        self.line = line
        self.python = python
        self.depth = depth
        self.findings: list[RiskFinding] = []
        self.harmless = True

    def add(self, code: str, severity: Severity, message: str) -> None:
        self.findings.append(finding(code, severity, message, self.line))

    def run(self, tokens: Sequence[str | None]) -> _ShellAnalysis:
        previous: str | None = None
        for command in _split(tokens):
            self._command(command, previous)
            previous = _program(command.words)[0]
        return self

    def _path(self, target: str) -> PathValue:
        text = target.replace("${HOME}", "~").replace("$HOME", "~")
        if "{" in text or "$" in text:  # IPython/shell expansion: only the prefix is known
            return PathValue(text=re.split(r"[{$]", text)[0], exact=False)
        return PathValue(text=text)

    def _write(self, target: str, what: str) -> None:
        value = self._path(target)
        if self.scope.place(value) != "inside":
            # "head -n 100 big.csv > sample.csv" stays harmless; anything else does not.
            self.harmless = False
        self.findings += check_write(value, self.scope, line=self.line, what=what, unverified=False)

    def _delete(self, target: str) -> None:
        self.findings += check_write(
            self._path(target),
            self.scope,
            line=self.line,
            what="shell",
            code="delete_outside_root",
            verb="Deletes",
            unverified=False,
        )

    def _command(self, command: _Command, previous: str | None) -> None:
        for word in _literal(command.words) + command.writes:
            self.findings += credential_findings(word, self.line)
            for match in _SECRET_VAR.finditer(word):
                if is_secret_name(match.group(1)):
                    self.add(
                        "secret_read",
                        "high",
                        f"Reads the secret-looking variable ${match.group(1)}",
                    )
        for target in command.writes:
            self._write(target, f"shell redirection > {target}")
        name, args, privileged = _program(command.words)
        if privileged:
            self.harmless = False
            self.add("privilege_escalation", "high", "Runs a command as another user (sudo)")
        literal = _literal(args)
        if (name is None or _PYTHON.match(name)) and "-m" in literal:
            # python -m pip install ... (also [sys.executable, "-m", "pip", ...])
            module_args = literal[literal.index("-m") + 1 :]
            if module_args and module_args[0] in ("pip", "conda"):
                name, literal = module_args[0], module_args[1:]
        if name is None:
            self.harmless = self.harmless and not command.words
            return
        deleting_find = name == "find" and bool({"-delete", "-exec", "-execdir"} & set(literal))
        if name not in _READ_ONLY or deleting_find:
            self.harmless = False
        self._judge(name, literal, deleting_find)
        if name in _INTERPRETERS or _PYTHON.match(name):
            self._interpreter(name, literal, previous, command)

    def _judge(self, name: str, literal: list[str], deleting_find: bool) -> None:
        options = [a for a in literal if a.startswith("-")]
        operands = [a for a in literal if not a.startswith("-")]
        shown = shorten(" ".join([name, *literal]), 60)
        if name == "rm":
            recursive = any(
                o == "--recursive" or (not o.startswith("--") and bool(set(o) & {"r", "R"}))
                for o in options
            )
            if recursive:
                self.add(
                    "shell_recursive_delete",
                    "block",
                    f"Deletes files and folders recursively (`{shown}`) — blocked",
                )
            else:
                self.add("file_delete", "high", f"Deletes files (`{shown}`)")
            for target in operands:
                self._delete(target)
        elif name in _DELETERS or deleting_find:
            self.add("file_delete", "high", f"Deletes files (`{shown}`)")
        elif name in _WRITERS_LAST and len(operands) >= 2:
            self._write(operands[-1], f"{name} destination")
            if name == "mv":
                for source in operands[:-1]:
                    self._delete(source)
        elif name in _WRITERS_ALL:
            for target in operands[1:] if name.startswith("ch") else operands:
                self._write(target, name)
        elif name in _PACKAGE_TOOLS:
            self.findings += package_command(name, literal, self.line)
        elif name == "git" and operands[:1] and operands[0] in _GIT_NETWORK:
            self.add("network_call", "high", f"Contacts a remote git server (git {operands[0]})")
        elif name in _NETWORK:
            self.add("network_call", "high", f"Accesses the network (`{shown}`)")
        elif name in _KILLERS:
            self.add(
                "process_kill",
                "high",
                f"Sends a signal to other processes ({name}); it can kill the kernel",
            )
        elif name in _DESTRUCTIVE or name.startswith("mkfs"):
            self.add(
                "destructive_command",
                "block",
                f"Runs `{name}`, which can wipe disks or stop the machine — blocked",
            )
        elif name in _ENV_DUMPERS:
            if not operands:
                self.add(
                    "env_dump",
                    "block",
                    f"Prints every environment variable ({name}), including API keys — blocked",
                )
            for var in operands:
                if is_secret_name(var):
                    self.add("secret_read", "high", f"Reads the secret-looking variable {var}")
        elif name in ("set", "export", "declare", "typeset") and literal in ([], ["-p"]):
            self.add(
                "env_dump",
                "block",
                f"Prints every environment variable ({name}), including API keys — blocked",
            )
        elif name == "dd":
            for arg in literal:
                if arg.startswith("of="):
                    self._write(arg[3:], "dd of=")

    def _interpreter(
        self, name: str, literal: list[str], previous: str | None, command: _Command
    ) -> None:
        if command.piped and previous in ("curl", "wget"):
            self.add(
                "remote_code",
                "block",
                f"Downloads a script and runs it directly ({previous} | {name}) — blocked",
            )
        if "-c" not in literal or literal.index("-c") + 1 >= len(literal):
            return
        code = literal[literal.index("-c") + 1]
        if _PYTHON.match(name):
            if self.python is not None:
                self.findings += self.python(code)
        elif name not in ("perl", "ruby") and self.depth < _MAX_DEPTH:
            nested = _ShellAnalysis(self.scope, self.line, self.python, self.depth + 1)
            self.findings += nested.run(tokenize(code)).findings


def analyze_shell(
    command: str | Sequence[str | None],
    *,
    scope: PathScope,
    line: int | None,
    via: str,
    python: PythonHook | None = None,
    expand_python: bool = False,
    depth: int = 0,
) -> list[RiskFinding]:
    """All findings for one shell command line (a string, or an argv list with None holes).

    ``via`` says how it runs (``"!"``, ``"%%bash"``, ``"subprocess.run"``) for the
    message. ``expand_python``: IPython evaluates ``{expr}`` in ``!`` lines and magic
    arguments as Python, so those expressions are analysed too.
    """
    findings: list[RiskFinding] = []
    tokens: Sequence[str | None]
    if isinstance(command, str):
        shown, text = command, command
        if expand_python:
            if python is not None:
                for expression in _EXPANSION.findall(command):
                    findings += python(expression)
            text = _EXPANSION.sub("{…}", command)  # keep "(" in {f(x)} away from the lexer
        tokens = tokenize(text)
    else:
        tokens = command
    analysis = _ShellAnalysis(scope, line, python, depth).run(tokens)
    findings = analysis.findings + findings
    if not isinstance(command, str):
        shown = " ".join(t if t is not None else "…" for t in command)
    known = isinstance(command, str) or all(t is not None for t in command[:1])
    severity: Severity = "warning" if analysis.harmless and known and tokens else "high"
    text = f": `{shorten(shown, 70)}`" if shown.strip() else ""
    findings.insert(
        0, finding("shell_command", severity, f"Runs a shell command via {via}{text}", line)
    )
    return findings
