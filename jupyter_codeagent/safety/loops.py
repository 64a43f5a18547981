"""How loops behave, read from their bodies: ways out, growth, doubling."""

from __future__ import annotations

import ast

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_GROWING_METHODS = frozenset({"append", "extend", "insert", "add", "update", "appendleft"})


def grows(node: ast.AST) -> bool:
    """A statement that makes some value bigger each time it runs."""
    if isinstance(node, ast.AugAssign):
        return isinstance(node.op, (ast.Add, ast.Mult, ast.LShift))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in _GROWING_METHODS
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp):
        targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
        used = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        return bool(targets & used) and isinstance(node.value.op, (ast.Add, ast.Mult))
    return False


def doubles(node: ast.AST) -> bool:
    """``s += s`` or ``s = s + s``: the value doubles (``*=`` is left out: numbers
    are multiplied in loops every day)."""
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        value = node.value
        return (
            isinstance(node.op, ast.Add)
            and isinstance(value, ast.Name)
            and value.id == node.target.id
        )
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp):
        targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
        value = node.value
        sides = [v.id for v in (value.left, value.right) if isinstance(v, ast.Name)]
        return (
            isinstance(value.op, ast.Add)
            and len(sides) == 2
            and sides[0] == sides[1]
            and sides[0] in targets
        )
    return False


def exits(body: list[ast.stmt]) -> bool:
    """Does this loop body contain a way out (return, raise, a break of this loop)?

    A break inside a nested loop's body ends that loop; one in its ``else`` clause
    ends ours.
    """
    stack: list[tuple[ast.AST, bool]] = [(statement, False) for statement in body]
    while stack:
        node, in_inner_loop = stack.pop()
        if isinstance(node, (ast.Return, ast.Raise)):
            return True
        if isinstance(node, ast.Break) and not in_inner_loop:
            return True
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            stack.extend((statement, True) for statement in node.body)
            stack.extend((statement, in_inner_loop) for statement in node.orelse)
            continue
        stack.extend(
            (child, in_inner_loop)
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, SCOPES)
        )
    return False


def walk_same_scope(node: ast.AST) -> list[ast.AST]:
    """Nodes under ``node`` without descending into nested functions or classes."""
    found: list[ast.AST] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(c for c in ast.iter_child_nodes(current) if not isinstance(c, SCOPES))
    return found
