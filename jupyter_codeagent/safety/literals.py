"""What strings, argument lists and paths an expression spells, as far as it is literal.

The base of ``NameTable`` (``names.py``), which supplies name resolution and constants.
Strings are rebuilt the way Python would build them (``+``, ``%``, ``.format``, f-strings,
``.join``, ``.replace``) so that ``exec('{}'.format(payload))`` is read as the payload;
what is only known at run time shows as ``{…}``. Every result is memoised per name and
capped in size: ``a = b + b`` chains must not grow exponentially in the server.
"""

from __future__ import annotations

import ast
import posixpath
import string
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TypeVar

from . import catalog
from .paths import PathValue

T = TypeVar("T")
UNKNOWN = "{…}"
_MAX_DEPTH = 20
_MAX_CHAIN = 50  # names defined through other names, followed at most this deep
_MAX_TEXT = 200_000  # characters; a longer built string is treated as unknown
_PATH_CONSTRUCTORS = frozenset(
    {
        "Path",
        "PurePath",
        "PosixPath",
        "WindowsPath",
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "pathlib.WindowsPath",
        "str",
        "os.fspath",
        "os.path.join",
        "os.path.normpath",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.expanduser",
        "os.path.expandvars",
    }
)
PATH_OBJECT_CONSTRUCTORS = frozenset(c for c in _PATH_CONSTRUCTORS if "Path" in c)
_HOME_CALLS = frozenset({"Path.home", "pathlib.Path.home"})
_CWD_CALLS = frozenset({"Path.cwd", "pathlib.Path.cwd", "os.getcwd"})
_PATH_SAME_METHODS = frozenset({"expanduser", "resolve", "absolute", "as_posix", "__fspath__"})
_PATH_SIBLING_METHODS = frozenset({"with_suffix", "with_name", "with_stem", "joinpath"})
_TEXT_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "title", "casefold"})


def literal_string(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class LiteralReader(ABC):
    """Strings and paths of expressions. Subclasses provide resolution and constants."""

    @property
    @abstractmethod
    def tainted(self) -> set[str]: ...

    def __init__(self) -> None:
        self._template_memo: dict[str, str | None] = {}
        self._path_memo: dict[str, PathValue | None] = {}
        self._busy: set[str] = set()

    @abstractmethod
    def resolve(self, node: ast.AST, depth: int = 0) -> str | None: ...

    @abstractmethod
    def constant(self, name: str) -> ast.expr | None: ...

    # --- strings ----------------------------------------------------------------------

    def template(self, node: ast.AST, depth: int = 0) -> str | None:
        """A string expression with run-time parts shown as ``{…}``; None if nothing literal.

        ``f"rm -rf {folder}"`` → ``"rm -rf {…}"``: enough to see what a command does.
        """
        text = self._template(node, depth)
        return text if text is None or len(text) <= _MAX_TEXT else None

    def _template(self, node: ast.AST, depth: int) -> str | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bytes):  # exec(b"...") runs bytes too
                return node.value.decode("utf-8", "replace")
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return "".join(self._fstring_part(v, depth) for v in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.template(node.left, depth + 1)
            right = self.template(node.right, depth + 1)
            if left is None and right is None:
                return None
            return (left if left is not None else UNKNOWN) + (
                right if right is not None else UNKNOWN
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self._percent(node, depth)
        if isinstance(node, ast.Name):
            return self._memo(self._template_memo, node.id, lambda v: self.template(v, 0))
        if isinstance(node, ast.Call):
            return self._template_call(node, depth)
        return None

    def _fstring_part(self, value: ast.expr, depth: int) -> str:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
        if isinstance(value, ast.FormattedValue) and value.format_spec is None:
            inner = self.template(value.value, depth + 1)
            if inner is not None and value.conversion in (-1, ord("s")):
                return inner
        return UNKNOWN

    def _percent(self, node: ast.BinOp, depth: int) -> str | None:
        left = self.template(node.left, depth + 1)
        if left is None:
            return None
        items = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        values = [self.template(item, depth + 1) for item in items]
        if all(v is not None for v in values) and "%" in left:
            try:
                return left % tuple(values)
            except (TypeError, ValueError):
                pass
        return left + UNKNOWN  # the formatted parts are unknown: never read as complete

    def _template_call(self, node: ast.Call, depth: int) -> str | None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            if self.resolve(func) in ("str", "bytes") and len(node.args) == 1:
                return self.template(node.args[0], depth + 1)
            return None
        receiver = self.template(func.value, depth + 1)
        if receiver is None:
            return None
        if func.attr == "format":
            return self._format(receiver, node, depth)
        if func.attr == "join" and node.args:
            items = self.argv(node.args[0])
            if items is not None:
                return receiver.join(i if i is not None else UNKNOWN for i in items)
        if func.attr == "replace" and len(node.args) >= 2:
            old, new = (self.template(a, depth + 1) for a in node.args[:2])
            if old is not None and new is not None and UNKNOWN not in old:
                return receiver.replace(old, new)
            return receiver + UNKNOWN
        if func.attr in _TEXT_METHODS and not node.args:
            return str(getattr(receiver, func.attr)())
        if func.attr in ("decode", "encode"):
            return receiver
        return None

    def _format(self, receiver: str, node: ast.Call, depth: int) -> str:
        positional = [self.template(a, depth + 1) for a in node.args]
        named = {k.arg: self.template(k.value, depth + 1) for k in node.keywords if k.arg}
        out: list[str] = []
        auto = 0
        try:
            for literal, field, _spec, _conversion in string.Formatter().parse(receiver):
                out.append(literal)
                if field is None:
                    continue
                key = field.split(".")[0].split("[")[0]
                value: str | None
                if key == "":
                    value = positional[auto] if auto < len(positional) else None
                    auto += 1
                elif key.isdigit():
                    index = int(key)
                    value = positional[index] if index < len(positional) else None
                else:
                    value = named.get(key)
                plain = key == field and not _spec and _conversion in (None, "s")
                out.append(value if value is not None and plain else UNKNOWN)
        except ValueError:
            return receiver + UNKNOWN
        return "".join(out)

    def argv(self, node: ast.AST) -> list[str | None] | None:
        """A list/tuple of command-line arguments, with None for run-time values."""
        if isinstance(node, ast.Name):
            value = self.constant(node.id)
            return self.argv(value) if value is not None and node.id not in self._busy else None
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.template(e) for e in node.elts]
        if isinstance(node, ast.Call) and self.resolve(node.func) == "shlex.split" and node.args:
            text = self.template(node.args[0])
            if text is None:
                return None
            items: list[str | None] = [*text.split()]
            return items
        return None

    def _memo(
        self, memo: dict[str, T | None], name: str, compute: Callable[[ast.expr], T | None]
    ) -> T | None:
        """The value of ``compute`` on a constant name's value, once per name.

        A name met again while it is being computed (``a = a + "x"``), or a chain of
        names longer than ``_MAX_CHAIN``, reads as unknown.
        """
        if name in memo:
            return memo[name]
        value = self.constant(name)
        if value is None or name in self._busy or len(self._busy) >= _MAX_CHAIN:
            return None
        self._busy.add(name)
        try:
            result = compute(value)
        finally:
            self._busy.discard(name)
        memo[name] = result
        return result

    # --- paths ------------------------------------------------------------------------------

    def path(self, node: ast.AST, depth: int = 0) -> PathValue | None:
        """The path an expression spells, as far as it is literal; None if not at all."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, (ast.Constant, ast.JoinedStr)) or (
            isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod))
        ):
            text = self.template(node)
            if text is None:
                return None
            literal = text.split(UNKNOWN)[0]
            return PathValue(text=literal, exact=literal == text)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path("a") / "b"
            return self._join([node.left, node.right], depth)
        if isinstance(node, ast.Name):
            return self._memo(self._path_memo, node.id, lambda v: self.path(v, 0))
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = self.path(node.value, depth + 1)
            if inner is None or not inner.exact:
                return inner
            return PathValue(text=posixpath.dirname(inner.text.rstrip("/")) or ".")
        if isinstance(node, ast.Subscript) and self.resolve(node.value) in catalog.ENVIRON:
            return PathValue(text="~") if literal_string(node.slice) == "HOME" else None
        if isinstance(node, ast.Call):
            return self._path_call(node, depth)
        return None

    def _path_call(self, node: ast.Call, depth: int) -> PathValue | None:
        func = self.resolve(node.func)
        if func in _HOME_CALLS:
            return PathValue(text="~")
        if func in _CWD_CALLS:
            return PathValue(text=".")
        if func in catalog.GETENV_CALLS and node.args and literal_string(node.args[0]) == "HOME":
            return PathValue(text="~")
        if func in _PATH_CONSTRUCTORS:
            return self._join(node.args, depth) if node.args else PathValue(text=".")
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            receiver = node.func.value
            if method in _PATH_SAME_METHODS:
                return self.path(receiver, depth + 1)
            if method == "joinpath":
                return self._join([receiver, *node.args], depth)
            if method in _PATH_SIBLING_METHODS:
                inner = self.path(receiver, depth + 1)
                if inner is None:
                    return None
                folder = posixpath.dirname(inner.text) if inner.exact else inner.text
                return PathValue(text=(folder or ".") + "/", exact=False)
            if method == "format" or method == "join":
                return self._text_path(node)
        return None

    def _text_path(self, node: ast.expr) -> PathValue | None:
        text = self.template(node)
        if text is None:
            return None
        literal = text.split(UNKNOWN)[0]
        return PathValue(text=literal, exact=literal == text)

    def _join(self, parts: list[ast.expr], depth: int) -> PathValue | None:
        text = ""
        for part in parts:
            value = self.path(part, depth + 1)
            if value is None:  # a run-time part: only what came before it is known
                return PathValue(text=text, exact=False)
            if value.text.startswith("/") or not text:
                text = value.text
            else:
                text = text.rstrip("/") + "/" + value.text
            if not value.exact:
                return PathValue(text=text, exact=False)
        return PathValue(text=text)

    def is_path_object(self, node: ast.AST) -> bool:
        """Is this a pathlib path (so ``.rename``/``.replace`` move files, not labels)?"""
        if isinstance(node, ast.Name):
            value = self.constant(node.id)
            return value is not None and node.id not in self._busy and self.is_path_object(value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return self.is_path_object(node.left)
        if isinstance(node, ast.Call):
            func = self.resolve(node.func)
            if func in PATH_OBJECT_CONSTRUCTORS or func in _HOME_CALLS or func in _CWD_CALLS:
                return func != "os.getcwd"
            if isinstance(node.func, ast.Attribute) and node.func.attr in (
                _PATH_SAME_METHODS | _PATH_SIBLING_METHODS
            ):
                return self.is_path_object(node.func.value)
        return isinstance(node, ast.Attribute) and node.attr == "parent"

    # --- obfuscation ----------------------------------------------------------------------

    def obfuscated(self, node: ast.AST) -> bool:
        """Does the expression decode or rebuild hidden text (base64, chr(), [::-1]...)?"""
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in self.tainted:
                return True
            if self.decodes(child):
                return True
        return False

    def decodes(self, node: ast.AST) -> bool:
        """This node itself (not its children) decodes or reverses text."""
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            step = node.slice.step
            return isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub)
        return isinstance(node, ast.Call) and self._decoding_call(node)

    def _decoding_call(self, node: ast.Call) -> bool:
        func = self.resolve(node.func) or ""
        last = node.func.attr if isinstance(node.func, ast.Attribute) else func.rsplit(".")[-1]
        if last in catalog.DECODER_NAMES or func in catalog.OBFUSCATION_CALLS:
            return True
        if last == "decode" and node.args:  # "...".decode("rot13") / ("hex")
            codec = (literal_string(node.args[0]) or "").lower().replace("-", "_")
            return codec in ("rot13", "rot_13", "hex", "base64", "zlib", "bz2")
        if func in ("bytes", "bytearray") and node.args:
            return isinstance(node.args[0], (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp))
        return False
