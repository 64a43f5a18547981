"""The data-object registry: the session's variables, what they are, where they came from.

The model sees one line per object (name, one-line summary, the turn and cell that
created or last changed it) and calls ``inspect_variable`` for detail; the data
itself never enters the prompt. The registry is kept current from the namespace
diff of every agent cell, and reconciled with the kernel's variable list at the
start of each run (the user may have run cells of their own, or restarted the
kernel, in between).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

# One line per object must stay one line: summaries are short by construction in the
# kernel, but a third-party __repr__ can be anything.
SUMMARY_CHARS = 120


class VariableLike(Protocol):
    """What the kernel bridge's ``VariableSummary`` offers."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def summary(self) -> str: ...


class DiffLike(Protocol):
    """What the kernel bridge's ``NamespaceDiff`` offers."""

    @property
    def created(self) -> tuple[str, ...]: ...
    @property
    def changed(self) -> tuple[str, ...]: ...
    @property
    def deleted(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, kw_only=True)
class DataObject:
    """One variable. ``*_turn`` are 0-based turn indexes; a None cell means "by the user"."""

    name: str
    type: str
    summary: str
    created_turn: int | None = None
    created_cell: str | None = None
    changed_turn: int | None = None
    changed_cell: str | None = None
    # Bumped on every change so the most recently touched objects sort (and survive
    # budget cuts) first, whatever the turn numbers.
    stamp: int = 0

    def line(self) -> str:
        summary = " ".join(self.summary.split())
        if len(summary) > SUMMARY_CHARS:
            summary = summary[: SUMMARY_CHARS - 1] + "…"
        return f"- {self.name}: {summary}{self._origin()}"

    def _origin(self) -> str:
        parts = []
        if self.created_turn is not None:
            parts.append(f"created {_where(self.created_turn, self.created_cell)}")
        if self.changed_turn is not None:
            parts.append(f"changed {_where(self.changed_turn, self.changed_cell)}")
        return f" ({'; '.join(parts)})" if parts else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "summary": self.summary,
            "created_turn": self.created_turn,
            "created_cell": self.created_cell,
            "changed_turn": self.changed_turn,
            "changed_cell": self.changed_cell,
            "stamp": self.stamp,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DataObject:
        def opt_int(key: str) -> int | None:
            value = data.get(key)
            return value if isinstance(value, int) else None

        def opt_str(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            name=str(data["name"]),
            type=str(data.get("type", "")),
            summary=str(data.get("summary", "")),
            created_turn=opt_int("created_turn"),
            created_cell=opt_str("created_cell"),
            changed_turn=opt_int("changed_turn"),
            changed_cell=opt_str("changed_cell"),
            stamp=opt_int("stamp") or 0,
        )


def _where(turn: int, cell: str | None) -> str:
    # Turns are shown 1-based, as the user counts their messages.
    return f"turn {turn + 1}, cell {cell}" if cell else f"by the user before turn {turn + 1}"


@dataclass(frozen=True, kw_only=True)
class DataObjectRegistry:
    objects: Mapping[str, DataObject] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.objects)

    def names(self) -> list[str]:
        return sorted(self.objects)

    def _next_stamp(self) -> int:
        return max((o.stamp for o in self.objects.values()), default=0) + 1

    def applied(
        self,
        diff: DiffLike | None,
        variables: Iterable[VariableLike],
        *,
        turn: int,
        cell_id: str,
    ) -> DataObjectRegistry:
        """After an agent cell: diff names get their origin, every summary is refreshed."""
        current = {v.name: v for v in variables}
        objects = dict(self.objects)
        stamp = self._next_stamp()
        created = set(diff.created) if diff is not None else set()
        changed = set(diff.changed) if diff is not None else set()
        deleted = set(diff.deleted) if diff is not None else set()
        for name in deleted:
            objects.pop(name, None)
        for name, variable in current.items():
            old = objects.get(name)
            if name in created or (old is None and name in changed):
                objects[name] = DataObject(
                    name=name,
                    type=variable.type,
                    summary=variable.summary,
                    created_turn=turn,
                    created_cell=cell_id,
                    stamp=stamp,
                )
            elif name in changed and old is not None:
                objects[name] = replace(
                    old,
                    type=variable.type,
                    summary=variable.summary,
                    changed_turn=turn,
                    changed_cell=cell_id,
                    stamp=stamp,
                )
            elif old is None:  # not in the diff (tracking failed): still worth knowing
                objects[name] = DataObject(
                    name=name, type=variable.type, summary=variable.summary, stamp=stamp
                )
            elif (old.type, old.summary) != (variable.type, variable.summary):
                objects[name] = replace(old, type=variable.type, summary=variable.summary)
        # Without a diff the listing is the only truth about deletions.
        for name in [n for n in objects if n not in current]:
            del objects[name]
        return DataObjectRegistry(objects=objects)

    def synced(self, variables: Iterable[VariableLike], *, turn: int) -> DataObjectRegistry:
        """At run start: match the kernel (user cells, restarts) without agent origins."""
        current = {v.name: v for v in variables}
        objects: dict[str, DataObject] = {}
        stamp = self._next_stamp()
        for name, variable in current.items():
            old = self.objects.get(name)
            if old is None:
                objects[name] = DataObject(
                    name=name,
                    type=variable.type,
                    summary=variable.summary,
                    created_turn=turn,
                    stamp=stamp,
                )
            elif (old.type, old.summary) != (variable.type, variable.summary):
                objects[name] = replace(
                    old,
                    type=variable.type,
                    summary=variable.summary,
                    changed_turn=turn,
                    changed_cell=None,
                    stamp=stamp,
                )
            else:
                objects[name] = old
        return DataObjectRegistry(objects=objects)

    def lines(self) -> list[str]:
        """One line per object, most recently created or changed first."""
        ordered = sorted(self.objects.values(), key=lambda o: (-o.stamp, o.name))
        return [o.line() for o in ordered]

    def to_json(self) -> list[dict[str, Any]]:
        return [self.objects[name].to_json() for name in sorted(self.objects)]

    @classmethod
    def from_json(cls, data: object) -> DataObjectRegistry:
        objects: dict[str, DataObject] = {}
        if isinstance(data, list):
            for item in data:
                if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                    obj = DataObject.from_json(item)
                    objects[obj.name] = obj
        return DataObjectRegistry(objects=objects)
