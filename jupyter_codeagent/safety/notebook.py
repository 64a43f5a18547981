"""Notebook (IPython) syntax in a cell: ``!cmd``, ``%magic``, ``%%cellmagic``, ``obj?``.

IPython is not importable in the server process, so this module recognises the
escapes itself, records them, and replaces each with a plain Python statement on the
same line (``pass`` or ``x = None``). Line numbers therefore stay those of the cell.
Escapes are only recognised where IPython recognises them: at the start of a logical
line, never inside a string literal or an open bracket.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import Literal

from .catalog import words

EscapeKind = Literal["shell", "line_magic", "cell_magic", "misplaced_cell_magic"]

# Cell magics whose body is ordinary Python run in the kernel: analysed like the cell.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit"})
# Line magics IPython also runs without the '%' when a cell is that single line.
AUTOMAGIC = words(
    "pip conda mamba micromamba env cd rm rmdir mkdir mv cp cat ls ll sx system sc run "
    "alias reset store writefile load save rerun killbgscripts"
)

# Characters allowed on the left of "files = !ls" (names, attributes, subscripts, tuples).
_ASSIGN_TARGET = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.[]'\", ()*"
)
_OUTSIDE_STRING = re.compile(r"[#()\[\]{}'\"]")
# Inside a string: an escaped character (skipped) or the closing quote.
_STRING_END = {q: re.compile(r"\\.|" + q) for q in ("'", '"', "'''", '"""')}
# Where notebook syntax can be at all: "!" or "%" starting a line or after "=", "?" at
# either end of a line. Each alternative scans forward from a fixed character, so the
# search is linear; a false match only means the slower line-by-line pass runs.
_MAYBE_ESCAPE = re.compile(r"^[ \t]*[!%?]|\?[ \t]*$|=[ \t]*[!%]", re.MULTILINE)
_HELP = re.compile(r"^(\?{1,2}[\w.\[\]()'\"]+|[\w.\[\]()'\"]+\?{1,2}|\?{1,2})$")
_MAGIC = re.compile(r"^%(?P<name>!|[\w.-]*)\s*(?P<args>.*)$", re.DOTALL)  # "%%!" is a magic


@dataclass(frozen=True, kw_only=True)
class Escape:
    """One piece of notebook syntax found in the cell."""

    kind: EscapeKind
    name: str  # magic name without '%' ("" for shell escapes)
    args: str  # the shell command, or the magic's arguments
    line: int  # 1-based line in the cell
    body: str = ""  # a cell magic's body
    body_line: int = 0  # the line the body starts on
    assigned: bool = False  # "files = !ls" captures the output


@dataclass(frozen=True, kw_only=True)
class SplitCell:
    """The cell as parseable Python (same line numbers) plus the escapes taken out."""

    python: str
    escapes: tuple[Escape, ...]


def parse_python(source: str) -> ast.Module:
    """Parse like IPython does (top-level ``await`` allowed); raises SyntaxError."""
    with warnings.catch_warnings():
        # "\d" in a regex string is a SyntaxWarning on new Pythons; it is not our concern
        # and must not turn into an error under -W error.
        warnings.simplefilter("ignore")
        tree = compile(
            source,
            "<cell>",
            "exec",
            flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
        )
    assert isinstance(tree, ast.Module)
    return tree


class _LineState:
    """Tracks open brackets and strings across lines, to find logical-line starts."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None
        self.continued = False

    @property
    def at_logical_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        # Jumps from one character that matters to the next with a precompiled search:
        # each search starts where the previous one ended, so a line costs linear time.
        index, size = 0, len(line)
        in_comment = False
        while index < size:
            if self.quote is not None:
                end = _STRING_END[self.quote].search(line, index)
                if end is None:
                    break
                index = end.end()
                if end.group() == self.quote:
                    self.quote = None
                continue
            found = _OUTSIDE_STRING.search(line, index)
            if found is None:
                break
            char, index = found.group(), found.start()
            if char == "#":
                in_comment = True
                break
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            else:  # a quote opens a string
                triple = char * 3
                self.quote = triple if line.startswith(triple, index) else char
                index += len(self.quote) - 1
            index += 1
        ends_with_backslash = line.endswith("\\") and not in_comment
        if self.quote is not None and len(self.quote) == 1 and not ends_with_backslash:
            self.quote = None  # an unterminated short string: a syntax error, reported later
        self.continued = ends_with_backslash and self.quote is None


def _escape_from(text: str, line: int, assigned: bool) -> Escape:
    if text.startswith("!"):
        return Escape(
            kind="shell", name="", args=text.lstrip("!").strip(), line=line, assigned=assigned
        )
    if text.startswith("%%"):
        match = _MAGIC.match(text[1:])
        name = match.group("name") if match else ""
        return Escape(kind="misplaced_cell_magic", name=name, args="", line=line)
    match = _MAGIC.match(text)
    name, args = (match.group("name"), match.group("args").strip()) if match else ("", text)
    return Escape(kind="line_magic", name=name, args=args, line=line, assigned=assigned)


def _automagic(code: str) -> Escape | None:
    """A single-line cell like ``pip install x`` or ``env`` runs as a magic in IPython."""
    stripped = code.strip()
    if not stripped or "\n" in stripped:
        return None
    first = stripped.split(None, 1)[0]
    if first not in AUTOMAGIC:
        return None
    if stripped != first:
        try:
            parse_python(stripped)
            return None  # valid Python ("ls = 3", "run(x)") is run as Python
        except (SyntaxError, ValueError):
            pass
    # A bare name like "env" also runs the magic, unless a variable of that name exists.
    return _escape_from("%" + stripped, code[: code.index(stripped)].count("\n") + 1, False)


def split_cell(code: str) -> SplitCell:
    """Take the notebook syntax out of ``code``, keeping every other line in place."""
    code = code.replace("\r\n", "\n").replace("\r", "\n")
    lines = code.split("\n")
    escapes: list[Escape] = []
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and lines[start].startswith("%%"):
        match = _MAGIC.match(lines[start][1:])
        name = match.group("name") if match else ""
        args = match.group("args").strip() if match else ""
        body = "\n".join(lines[start + 1 :])
        escapes.append(
            Escape(
                kind="cell_magic",
                name=name,
                args=args,
                line=start + 1,
                body=body,
                body_line=start + 2,
            )
        )
        if name not in PYTHON_CELL_MAGICS:
            return SplitCell(python="", escapes=tuple(escapes))
        lines[start] = ""  # the body is Python in the kernel: keep analysing it
    automagic = _automagic(code)
    if automagic is not None:
        return SplitCell(python="", escapes=(automagic,))
    if not _MAYBE_ESCAPE.search(code):  # most cells: no line can be notebook syntax
        return SplitCell(python="\n".join(lines), escapes=tuple(escapes))
    state = _LineState()
    index = 0
    while index < len(lines):
        line = lines[index]
        if state.at_logical_start:
            neutralised = _neutralise(line, index, lines, escapes)
            if neutralised is not None:
                replacement, used = neutralised
                lines[index : index + used] = [replacement] + [""] * (used - 1)
                index += used
                continue
        state.feed(line)
        index += 1
    return SplitCell(python="\n".join(lines), escapes=tuple(escapes))


def _joined(first: str, index: int, lines: list[str]) -> tuple[str, int]:
    """The escape's text with backslash-continued lines joined, as IPython does.

    Returns the text and how many physical lines it used.
    """
    text, used = first, 1
    while text.endswith("\\") and index + used < len(lines):
        text = text[:-1] + " " + lines[index + used].strip()
        used += 1
    return text, used


def _neutralise(
    line: str, index: int, lines: list[str], escapes: list[Escape]
) -> tuple[str, int] | None:
    """If the line is notebook syntax: record it; return its stand-in and lines used."""
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    if stripped.startswith(("!", "%")):
        text, used = _joined(stripped, index, lines)
        escapes.append(_escape_from(text, index + 1, False))
        return indent + "pass", used
    if _HELP.match(stripped.rstrip()):
        return indent + "pass", 1
    assignment = _assigned_escape(stripped)
    if assignment is not None and not assignment[1].startswith("%%"):
        target, escape = assignment
        text, used = _joined(escape, index, lines)
        escapes.append(_escape_from(text, index + 1, True))
        return f"{indent}{target} = None", used
    return None


def _assigned_escape(line: str) -> tuple[str, str] | None:
    """``files = !ls`` → ("files", "!ls"); None if the line is not such an assignment.

    A scan instead of a regular expression: the pattern this replaces backtracked
    quadratically on long runs of spaces (150 kB of them froze the server 31.8 s,
    issue 11). As in IPython, the "=" must be outside brackets and strings
    (``plt.text(x, y, "a = %.2f" % v)`` is Python), and "%" must start a magic's name.
    """
    depth, quote, equals = 0, "", -1
    for position, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "=" and depth == 0:
            equals = position
            break
        elif depth == 0 and char not in _ASSIGN_TARGET and not char.isalnum():
            return None  # "a + b = ..." is no assignment target
    if equals < 0:
        return None
    target = line[:equals].rstrip()
    escape = line[equals + 1 :].lstrip()
    if not target or target[0].isdigit() or not escape or escape[0] not in "!%":
        return None
    if escape[0] == "%" and not (escape[1:2].isalpha() or escape[1:2] == "_"):
        return None  # "%0.2f", "%%": not a line magic
    return target, escape
