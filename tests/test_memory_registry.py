"""The data-object registry: fed by namespace diffs, reconciled with the kernel."""

from __future__ import annotations

from jupyter_codeagent.kernel.types import NamespaceDiff, VariableSummary
from jupyter_codeagent.memory.registry import DataObjectRegistry


def _vars(**summaries: str) -> list[VariableSummary]:
    return [VariableSummary(name=n, type=s.split()[0], summary=s) for n, s in summaries.items()]


def _diff(
    created: tuple[str, ...] = (), changed: tuple[str, ...] = (), deleted=()
) -> NamespaceDiff:
    return NamespaceDiff(created=created, changed=changed, deleted=tuple(deleted))


def test_created_changed_and_deleted_objects() -> None:
    registry = DataObjectRegistry().applied(
        _diff(created=("a", "b")), _vars(a="int 1", b="list 3 items"), turn=0, cell_id="c1"
    )
    assert registry.names() == ["a", "b"]
    assert registry.objects["a"].created_cell == "c1"
    registry = registry.applied(
        _diff(created=("c",), changed=("a",), deleted=("b",)),
        _vars(a="str 'text'", c="dict 1 keys"),
        turn=2,
        cell_id="c7",
    )
    assert registry.names() == ["a", "c"]
    a = registry.objects["a"]
    assert (a.summary, a.created_turn, a.created_cell) == ("str 'text'", 0, "c1")
    assert (a.changed_turn, a.changed_cell) == (2, "c7")
    lines = registry.lines()
    # Most recently touched first; origins shown 1-based like the user's turns.
    assert lines[0] == "- a: str 'text' (created turn 1, cell c1; changed turn 3, cell c7)"
    assert lines[1] == "- c: dict 1 keys (created turn 3, cell c7)"


def test_without_a_diff_the_listing_still_rules() -> None:
    registry = DataObjectRegistry().applied(None, _vars(a="int 1"), turn=0, cell_id="c1")
    registry = registry.applied(None, _vars(x="int 2"), turn=1, cell_id="c2")
    assert registry.names() == ["x"]
    assert registry.objects["x"].created_cell is None  # origin unknown, not invented


def test_sync_at_run_start_sees_user_cells_and_restarts() -> None:
    registry = DataObjectRegistry().applied(
        _diff(created=("df", "m")),
        _vars(df="DataFrame 4 x 2", m="int 3"),
        turn=0,
        cell_id="c1",
    )
    registry = registry.synced(
        _vars(df="DataFrame 10 x 2", extra="float 1.5"),
        turn=1,
    )
    assert registry.names() == ["df", "extra"]  # m is gone (the user deleted it)
    df = registry.objects["df"]
    assert df.created_cell == "c1" and df.changed_turn == 1 and df.changed_cell is None
    assert "changed by the user before turn 2" in df.line()
    assert "created by the user before turn 2" in registry.objects["extra"].line()
    assert registry.synced([], turn=2).names() == []  # a kernel restart empties it


def test_lines_stay_single_and_short_whatever_the_summary() -> None:
    registry = DataObjectRegistry().applied(
        _diff(created=("weird",)), _vars(weird="Obj " + "x\n" * 5_000), turn=0, cell_id="c1"
    )
    (line,) = registry.lines()
    assert "\n" not in line and len(line) < 200


def test_round_trip_through_json() -> None:
    registry = DataObjectRegistry().applied(
        _diff(created=("a",)), _vars(a="int 1"), turn=4, cell_id="c9"
    )
    again = DataObjectRegistry.from_json(registry.to_json())
    assert again == registry
    assert DataObjectRegistry.from_json("garbage").names() == []
