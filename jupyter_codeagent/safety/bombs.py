"""Loops that never end, processes that multiply, allocations that cannot fit in memory.

The kernel is the user's: a fork bomb or a terabyte string takes down their session and
often the machine. Sizes are folded from integer literals (``10**12``, ``2 << 40``)
without ever computing a huge number here: powers are judged by their bit length.
"""

from __future__ import annotations

import ast
import math

from . import catalog
from .findings import RiskFinding, finding
from .loops import SCOPES, doubles, exits, grows, walk_same_scope
from .names import NameTable
from .tree import TreeIndex

_HUGE = 10**18  # "at least this much": integers are folded up to here and no further
_BIG_ALLOCATION = 10**9  # elements or characters: gigabytes at least
_BIG_DIGITS = 10**7  # a number with this many digits takes seconds and megabytes to build
_ARRAY_MODULES = ("numpy.", "np.", "torch.", "cupy.", "jax.numpy.", "jnp.", "tf.")
_ARRAY_ALLOCATORS = frozenset({"zeros", "ones", "empty", "full", "rand", "randn", "random"})
_MATERIALISERS = frozenset({"list", "tuple", "set", "sorted", "bytes", "bytearray"})
_LOOP_TYPES = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ListComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.DictComp,
)
_ENDLESS_ITERATORS = frozenset({"itertools.count", "itertools.cycle", "itertools.repeat"})


class ResourceChecker:
    def __init__(self, index: TreeIndex, names: NameTable, findings: list[RiskFinding]):
        self.index = index
        self.names = names
        self.findings = findings

    def run(self) -> None:
        loops: list[ast.While | ast.For | ast.AsyncFor] = [
            *self.index.of(ast.While),
            *self.index.of(ast.For),
            *self.index.of(ast.AsyncFor),
        ]
        for loop in loops:
            self._loop(loop)
        for call in self.index.of(ast.Call):
            self._call(call)
        for binop in self.index.of(ast.BinOp):
            self._binop(binop)
        for comprehension in self.index.of(ast.ListComp):
            size = self._elements(comprehension)
            if size is not None and size >= _BIG_ALLOCATION:
                self._too_big(comprehension, "a list comprehension", size)

    # --- loops ---------------------------------------------------------------------------

    def _loop(self, node: ast.While | ast.For | ast.AsyncFor) -> None:
        if isinstance(node, ast.While):
            endless = isinstance(node.test, ast.Constant) and bool(node.test.value)
            what = "A `while True` loop"
        else:
            endless = self._endless_iterator(node.iter)
            what = "A loop over an endless iterator"
        if not endless:
            self._doubling(node)
            return
        if exits(node.body):
            return
        body = [n for statement in node.body for n in walk_same_scope(statement)]
        if any(self._starts_process(n) for n in body):
            self.findings.append(
                finding(
                    "fork_bomb",
                    "block",
                    f"{what} that starts processes or threads without end: it exhausts the "
                    "machine — blocked",
                    node.lineno,
                )
            )
        elif any(grows(n) for n in body):
            self.findings.append(
                finding(
                    "memory_bomb",
                    "high",
                    f"{what} with no break keeps growing a value until memory runs out",
                    node.lineno,
                )
            )
        else:
            self.findings.append(
                finding(
                    "infinite_loop",
                    "warning",
                    f"{what} with no break can run forever and hold the kernel busy",
                    node.lineno,
                )
            )

    def _doubling(self, node: ast.While | ast.For | ast.AsyncFor) -> None:
        """``for _ in range(40): s += s``: a value doubling each round outgrows memory."""
        rounds = self._range_length(node.iter) if isinstance(node, ast.For) else None
        if rounds is not None and rounds < 30:
            return
        body = [n for statement in node.body for n in walk_same_scope(statement)]
        if any(doubles(n) for n in body):
            self.findings.append(
                finding(
                    "memory_bomb",
                    "high",
                    "A loop doubles a value every round; after a few dozen rounds it no "
                    "longer fits in memory",
                    node.lineno,
                )
            )

    def _elements(self, node: ast.expr, depth: int = 0) -> int | None:
        """How many elements a comprehension (and the lists it holds) builds, if literal."""
        if depth > 5:
            return None
        if isinstance(node, ast.ListComp):
            total = 1
            for generator in node.generators:
                rounds = self._range_length(generator.iter)
                if rounds is None:
                    return None
                total = min(total * rounds, _HUGE)
            inner = self._elements(node.elt, depth + 1)
            return min(total * (inner or 1), _HUGE)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            for sequence, count in ((node.left, node.right), (node.right, node.left)):
                length = _sequence_length(sequence, self.names)
                times = int_value(count, self.names)
                if length is not None and times is not None:
                    return min(length * times, _HUGE)
        return None

    def _range_length(self, node: ast.expr) -> int | None:
        if isinstance(node, ast.Call) and self.names.resolve(node.func) == "range" and node.args:
            return int_value(node.args[1] if len(node.args) > 1 else node.args[0], self.names)
        return None

    def _endless_iterator(self, node: ast.expr) -> bool:
        if not isinstance(node, ast.Call):
            return False
        qual = self.names.resolve(node.func)
        if qual == "itertools.repeat":  # repeat(x, n) ends; repeat(x) does not
            return len(node.args) < 2 and not any(k.arg == "times" for k in node.keywords)
        return qual in _ENDLESS_ITERATORS

    def _starts_process(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        qual = self.names.resolve(node.func) or ""
        if qual in catalog.PROCESS_START_CALLS:
            return True
        func = node.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "start"
            and isinstance(func.value, ast.Call)
            and self.names.resolve(func.value.func) in catalog.PROCESS_START_CALLS
        )

    # --- processes and allocations ----------------------------------------------------------

    def _call(self, node: ast.Call) -> None:
        qual = self.names.resolve(node.func) or ""
        if qual in catalog.FORK_CALLS:
            if self._inside_loop(node):
                self.findings.append(
                    finding(
                        "fork_bomb",
                        "block",
                        f"Calls {qual} in a loop: each copy of the kernel forks again — blocked",
                        node.lineno,
                    )
                )
            else:
                self.findings.append(
                    finding(
                        "process_fork",
                        "high",
                        f"Forks the kernel process ({qual}); the copy shares its sockets "
                        "and can break the kernel",
                        node.lineno,
                    )
                )
            return
        size = self._allocation(node, qual)
        if size is not None and size >= _BIG_ALLOCATION:
            self._too_big(node, f"{qual or 'the call'}()", size)
        elif qual == "sys.setrecursionlimit" and node.args:
            limit = int_value(node.args[0], self.names)
            if limit is not None and limit >= 100_000:
                self.findings.append(
                    finding(
                        "recursion_limit",
                        "warning",
                        "Raises the recursion limit so far that deep recursion crashes the "
                        "kernel instead of raising RecursionError",
                        node.lineno,
                    )
                )

    def _allocation(self, node: ast.Call, qual: str) -> int | None:
        if not node.args:
            return None
        first = node.args[0]
        last = qual.rsplit(".", 1)[-1]
        if qual in ("bytearray", "bytes"):
            return int_value(first, self.names)
        if qual.startswith(_ARRAY_MODULES) and last in _ARRAY_ALLOCATORS:
            if isinstance(first, (ast.Tuple, ast.List)):
                dims = first.elts
            else:  # np.zeros(n), np.random.rand(a, b); np.full(n, value)
                dims = [first] if last in ("zeros", "ones", "empty", "full") else node.args
            return _product([int_value(d, self.names) for d in dims])
        is_range = isinstance(first, ast.Call) and self.names.resolve(first.func) == "range"
        if qual in _MATERIALISERS and is_range and isinstance(first, ast.Call) and first.args:
            stop = first.args[1] if len(first.args) > 1 else first.args[0]
            return int_value(stop, self.names)
        return None

    def _binop(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Pow):
            digits = _power_digits(node, self.names)
            if digits is not None and digits >= _BIG_DIGITS:
                self.findings.append(
                    finding(
                        "memory_bomb",
                        "high",
                        f"Computes a number with about 10^{int(math.log10(digits))} digits; "
                        "building it can take the kernel's memory and hours of CPU",
                        node.lineno,
                    )
                )
            return
        if not isinstance(node.op, ast.Mult):
            return
        for sequence, count in ((node.left, node.right), (node.right, node.left)):
            length = _sequence_length(sequence, self.names)
            times = int_value(count, self.names)
            if length is not None and times is not None and length * times >= _BIG_ALLOCATION:
                self._too_big(node, "repeating a sequence", length * times)
                return

    def _too_big(self, node: ast.AST, what: str, size: int) -> None:
        shown = "more than 10^18" if size >= _HUGE else f"about 10^{int(math.log10(size))}"
        self.findings.append(
            finding(
                "memory_bomb",
                "high",
                f"Allocates {shown} elements ({what}); that does not fit in memory and can "
                "freeze the machine",
                getattr(node, "lineno", None),
            )
        )

    def _inside_loop(self, node: ast.AST) -> bool:
        current = self.index.parent(node)
        while current is not None and not isinstance(current, SCOPES):
            if isinstance(current, _LOOP_TYPES):
                return True
            current = self.index.parent(current)
        return False


# --- integer folding -----------------------------------------------------------------------


def int_value(node: ast.AST, names: NameTable, depth: int = 0) -> int | None:
    """The integer an expression folds to, capped at ``_HUGE``; None if not literal."""
    if depth > 20:
        return None
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return min(int(value), _HUGE) if value >= 0 and math.isfinite(value) else None
    if isinstance(node, ast.Name):
        value_node = names.constant(node.id)
        return int_value(value_node, names, depth + 1) if value_node is not None else None
    if isinstance(node, ast.Call) and names.resolve(node.func) == "int" and node.args:
        return int_value(node.args[0], names, depth + 1)
    if not isinstance(node, ast.BinOp):
        return None
    left = int_value(node.left, names, depth + 1)
    right = int_value(node.right, names, depth + 1)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        return min(left + right, _HUGE)
    if isinstance(node.op, ast.Mult):
        return min(left * right, _HUGE)
    if isinstance(node.op, ast.Pow):
        if left <= 1:
            return left if right else 1
        return _HUGE if right * math.log2(left) > 62 else min(left**right, _HUGE)
    if isinstance(node.op, ast.LShift):
        return _HUGE if right > 62 or left >= _HUGE else min(left << right, _HUGE)
    return None


def _power_digits(node: ast.BinOp, names: NameTable) -> int | None:
    """How many decimal digits ``a ** b`` has, without computing it."""
    base = int_value(node.left, names)
    exponent = int_value(node.right, names)
    if base is None or exponent is None or base <= 1:
        return None
    return min(int(exponent * math.log10(base)) + 1, _HUGE)


def _sequence_length(node: ast.AST, names: NameTable) -> int | None:
    if isinstance(node, ast.Name):
        value = names.constant(node.id)
        return _sequence_length(value, names) if value is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return max(1, len(node.value))
    if isinstance(node, (ast.List, ast.Tuple)):
        return max(1, len(node.elts))
    return None


def _product(values: list[int | None]) -> int | None:
    if not values or any(v is None for v in values):
        return None
    total = 1
    for value in values:
        total = min(total * (value or 0), _HUGE)
    return total
