"""Deserialisers that run code: pickle and its relatives, marshal, unsafe YAML.

Unpickling runs whatever the pickle says (``cos\\nsystem\\n...`` calls ``os.system``).
Loading a model or a cache file the user saved is everyday work and stays quiet; a
pickle written into the cell itself is a hidden program and is blocked; unpickling
bytes of unknown origin is a warning.
"""

from __future__ import annotations

import ast

from . import catalog
from .access import argument
from .findings import RiskFinding, finding
from .names import NameTable

_BUFFERS = frozenset({"io.BytesIO", "BytesIO", "io.StringIO", "StringIO", "bytes", "bytearray"})


def payload_findings(node: ast.Call, qual: str, names: NameTable) -> list[RiskFinding]:
    line = node.lineno
    if qual in catalog.YAML_UNSAFE_CALLS or (qual == "yaml.load" and _unsafe_loader(node, names)):
        return [
            finding(
                "unsafe_deserialize",
                "high",
                f"Loads YAML with a loader that builds any Python object ({qual}); a document "
                "can run code — use yaml.safe_load",
                line,
            )
        ]
    if qual not in catalog.PICKLE_LOADERS:
        return []
    source = argument(node, 0, "data", "file", "filepath_or_buffer", "f", "s", "string")
    in_memory = qual in catalog.PICKLE_BYTES_LOADERS
    if source is not None and (
        _literal_bytes(source, names, text=in_memory)
        or (qual not in catalog.DESERIALIZERS and names.obfuscated(source))
    ):
        return [
            finding(
                "hidden_payload",
                "block",
                f"Unpickles data written into the cell itself ({qual}); a pickle can run any "
                "code, and this one cannot be read — blocked",
                line,
            )
        ]
    if in_memory:
        return [
            finding(
                "unsafe_deserialize",
                "warning",
                f"Unpickles bytes ({qual}); if they came from outside they can run any code",
                line,
            )
        ]
    if qual == "torch.load" and any(
        k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in node.keywords
    ):
        return [
            finding(
                "unsafe_deserialize",
                "warning",
                "Loads a torch file with weights_only=False, which unpickles any object",
                line,
            )
        ]
    return []


def _literal_bytes(node: ast.AST, names: NameTable, *, text: bool, depth: int = 0) -> bool:
    """Is this pickle data spelled out in the cell (b"...", BytesIO(b"..."), a constant)?

    ``text``: a str literal counts as data too (``jsonpickle.decode``); for loaders that
    take a file, a str literal is the file's name.
    """
    if depth > 10:
        return False
    if isinstance(node, ast.Constant):
        data = (bytes, str) if text else (bytes,)
        return isinstance(node.value, data) and len(node.value) > 0
    if isinstance(node, ast.Name):
        value = names.constant(node.id)
        return value is not None and _literal_bytes(value, names, text=text, depth=depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_bytes(node.left, names, text=text, depth=depth + 1) or _literal_bytes(
            node.right, names, text=text, depth=depth + 1
        )
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "encode":
            return _literal_bytes(func.value, names, text=True, depth=depth + 1)
        buffer = names.resolve(func) in _BUFFERS
        if node.args and (buffer or (isinstance(func, ast.Attribute) and func.attr == "fromhex")):
            return _literal_bytes(node.args[0], names, text=True, depth=depth + 1)
    return False


def _unsafe_loader(node: ast.Call, names: NameTable) -> bool:
    loader = argument(node, 1, "Loader")
    if loader is None:
        return False  # PyYAML 6 refuses load() without a Loader
    return names.resolve(loader) in catalog.YAML_UNSAFE_LOADERS
