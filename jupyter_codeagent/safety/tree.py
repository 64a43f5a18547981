"""One walk over a cell's syntax tree, shared by every check.

Each check used to walk the tree on its own; on a 100 kB cell the walks alone cost more
than the time budget. ``TreeIndex`` walks once, records each node's parent, and keeps
the nodes by type so a check visits only what it looks at.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from typing import TypeVar

NodeT = TypeVar("NodeT", bound=ast.AST)


class TreeIndex:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.parents: dict[ast.AST, ast.AST] = {}
        self.nodes: list[ast.AST] = []
        self._by_type: dict[type[ast.AST], list[ast.AST]] = defaultdict(list)
        # Names and attributes by identifier: checks look up the few that can matter
        # (``environ``, ``system``) instead of testing every one.
        self.names_by_id: dict[str, list[ast.Name]] = defaultdict(list)
        self.attributes_by_name: dict[str, list[ast.Attribute]] = defaultdict(list)
        stack: list[ast.AST] = [tree]
        parents, nodes, by_type = self.parents, self.nodes, self._by_type
        node_type, name_type, attribute_type = ast.AST, ast.Name, ast.Attribute
        while stack:
            node = stack.pop()
            nodes.append(node)
            kind = type(node)
            by_type[kind].append(node)
            if kind is name_type:
                assert isinstance(node, ast.Name)
                self.names_by_id[node.id].append(node)
            elif kind is attribute_type:
                assert isinstance(node, ast.Attribute)
                self.attributes_by_name[node.attr].append(node)
            children: list[ast.AST] = []
            for name in _fields(type(node)):
                value = getattr(node, name, None)
                if isinstance(value, list):
                    children.extend(v for v in value if isinstance(v, node_type))
                elif isinstance(value, node_type):
                    children.append(value)
            for child in children:
                parents[child] = node
            children.reverse()  # popped in source order: pre-order traversal
            stack.extend(children)

    def of(self, kind: type[NodeT]) -> list[NodeT]:
        """Every node of the given type, in source order."""
        return list(self._by_type.get(kind, []))  # type: ignore[arg-type]

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    def outermost(self, node: ast.expr) -> ast.expr:
        """The longest attribute chain ``node`` starts (``os`` → ``os.environ.copy``)."""
        parent = self.parents.get(node)
        while isinstance(parent, ast.Attribute) and parent.value is node:
            node, parent = parent, self.parents.get(parent)
        return node


_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _fields(kind: type[ast.AST]) -> tuple[str, ...]:
    """The fields that can hold child nodes; ``ctx`` (Load/Store singletons) left out."""
    fields = _FIELDS.get(kind)
    if fields is None:
        # ctx, op and ops hold shared singletons (Load, Add...), never anything to check.
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in ("ctx", "op", "ops"))
    return fields


def line_of(node: ast.AST) -> int | None:
    return getattr(node, "lineno", None)
