"""The Python inside the arguments of ``%timeit``, ``%time``, ``%prun``, ``%memit``, ``%debug``.

IPython parses these lines with getopt: ``%timeit -n1 -s "setup" stmt`` runs both the
setup and the statement, and so does the line of ``%%timeit setup``. The options are
split here the same way (one scan, quotes respected) so that each piece of Python can
be analysed; a line that cannot be split is reported as unreadable rather than skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

# getopt specifications: letters followed by ":" take a value. "code" names the options
# whose value is Python (timeit's setup); the rest of the line after the options is
# Python too, except for the cell magics, where it is the setup (timeit) or nothing.
_SPECS: dict[str, tuple[str, str]] = {
    "timeit": ("n:r:tcp:qos:", "s"),
    "time": ("", ""),
    "prun": ("D:l:rs:T:q", ""),
    "memit": ("r:t:i:co", ""),
    "debug": ("b:", ""),
}


@dataclass(frozen=True, kw_only=True)
class MagicPython:
    """The pieces of Python a magic line runs; ``readable`` is False if it could not split."""

    pieces: tuple[str, ...]
    readable: bool = True


def magic_python(name: str, args: str) -> MagicPython:
    """The Python run by ``%name args`` (or by the first line of ``%%name args``)."""
    spec = _SPECS.get(name)
    if spec is None:
        return MagicPython(pieces=(args,))
    options, code_options = spec
    if name == "debug":
        args = args.replace("--breakpoint", "-b", 1)
    tokens = _tokens(args)
    if tokens is None:
        return MagicPython(pieces=(args,), readable=False)
    pieces: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index][1]
        if token == "--":
            index += 1
            break
        if not token.startswith("-") or len(token) < 2:
            break
        letters = token[1:]
        for position, letter in enumerate(letters):
            where = options.find(letter)
            if where < 0:
                return MagicPython(pieces=(args,), readable=False)
            if where + 1 < len(options) and options[where + 1] == ":":
                value = letters[position + 1 :]
                if not value:
                    index += 1
                    if index >= len(tokens):
                        return MagicPython(pieces=(args,), readable=False)
                    value = tokens[index][1]
                if letter in code_options:
                    pieces.append(_unquote(value))
                break
        index += 1
    if index < len(tokens):
        pieces.append(args[tokens[index][0] :])
    return MagicPython(pieces=tuple(p for p in pieces if p.strip()))


def _tokens(text: str) -> list[tuple[int, str]] | None:
    """Whitespace-separated tokens with their start offsets; quotes group (posix=False)."""
    tokens: list[tuple[int, str]] = []
    index, size = 0, len(text)
    while index < size:
        if text[index].isspace():
            index += 1
            continue
        start, quote = index, ""
        while index < size and (quote or not text[index].isspace()):
            char = text[index]
            if quote and char == quote:
                quote = ""
            elif not quote and char in "'\"":
                quote = char
            index += 1
        if quote:
            return None  # an unterminated quote
        tokens.append((start, text[start:index]))
    return tokens


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
