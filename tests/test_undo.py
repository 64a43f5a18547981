"""Undo that restores the kernel, not just the cell: real server, real kernel, fake model.

The agent cells run through the whole path (analyzer, reviewer, policy ``never``);
between them, "the user" runs code in the same kernel through the bridge, which is
also how the tests look at the kernel's state.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import (
    Api,
    EventReader,
    ack_notebook_op,
    model_config,
    new_script,
    next_notebook_op,
)
from tornado.httpclient import HTTPClientError

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review

SETUP = (
    "import pandas as pd\n"
    "df = pd.DataFrame({'a': range(1000), 'b': range(1000)})\n"
    "original = df\n"
    "rows = [1, 2, 3]\n"
)


@pytest.fixture
def approval() -> str:
    return "never"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any, approval: str) -> dict[str, Any]:
    # A 1 MB copy limit: a 8 MB array changed in place cannot be undone.
    config = model_config(fake, "openai", approval, undo_copy_limit=1)
    jp_server_config["CodeAgentExtension"] = config
    return jp_server_config


class Kernel:
    """The session's kernel, as the user at the notebook reaches it."""

    def __init__(self, serverapp: Any, kernel_id: str) -> None:
        self.bridge = serverapp.web_app.settings["codeagent"].context.bridge
        self.kernel_id = kernel_id

    async def run(self, code: str) -> None:
        result, _diff = await self.bridge.execute(self.kernel_id, code)
        assert result.status == "ok", result

    async def value(self, expression: str) -> str:
        result, _diff = await self.bridge.execute(self.kernel_id, f"print(({expression}))")
        assert result.status == "ok", result
        return "".join(o.get("text", "") for o in result.outputs).strip()


async def agent_run(
    api: Api, fake: Any, events: EventReader, session_id: str, *cells: str
) -> list[dict[str, Any]]:
    """One run whose coder proposes ``cells`` (they run at once: policy ``never``);
    the ``cell_executing`` events, with what the card says about undo."""
    script = new_script(fake)
    script.planner(plan("Work on the data"))
    script.coder(*(propose(code) for code in cells), finish("Done."))
    script.reviewer(*(review() for _ in cells))
    before = len(events.of_type("cell_executing"))
    await api.send(session_id, "work on the data")
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done", events.events[-5:]
    executing = events.of_type("cell_executing")[before:]
    assert len(executing) == len(cells)
    return executing


async def undo(api: Api, session_id: str, cell_id: str) -> dict[str, Any]:
    return await api.call("POST", "sessions", session_id, "cells", cell_id, "undo")


async def refused(api: Api, *path: str) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as caught:
        await api.call("POST", *path)
    body = json.loads(caught.value.response.body)
    return caught.value.code, body["error"]["message"]


async def start(api: Api, jp_serverapp: Any) -> tuple[str, EventReader, Kernel]:
    session = await api.create_session()
    kernel = Kernel(jp_serverapp, session["kernel_id"])
    await kernel.run(SETUP)
    events = await api.events(session["id"])
    return session["id"], events, kernel


async def test_undo_rebinding_inplace_delete_and_new_objects(
    api: Api, fake: Any, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    sid, events, kernel = await start(api, jp_serverapp)

    # Rebinding df: the old frame comes back (the very object).
    [cell] = await agent_run(api, fake, events, sid, "df = df[df.a > 500]")
    assert cell["undoable"] is True and "undo_note" not in cell
    assert events.of_type("cell_proposed")[0]["undoable"] is True
    assert await kernel.value("len(df)") == "499"
    answer = await undo(api, sid, cell["cell_id"])
    assert answer["restored"] == ["df"] and answer["removed"] == []
    assert answer["notebook"] == "kept"
    assert await kernel.value("len(df), df is original") == "(1000, True)"
    undone = await events.until_type("cell_undone")
    assert undone["cell_id"] == cell["cell_id"] and undone["restored"] == ["df"]

    # In place: drop(inplace=True), a new column, a list appended to.
    [cell] = await agent_run(
        api,
        fake,
        events,
        sid,
        "df.drop(columns=['b'], inplace=True)\ndf['c'] = 1\nrows.append(4)",
    )
    assert cell["undoable"] is True
    assert await kernel.value("list(df.columns), rows") == "(['a', 'c'], [1, 2, 3, 4])"
    answer = await undo(api, sid, cell["cell_id"])
    # ``original`` is the same frame as ``df``: it changed with it, and comes back with it.
    assert answer["restored"] == ["df", "original", "rows"]
    assert await kernel.value("list(df.columns), rows") == "(['a', 'b'], [1, 2, 3])"
    assert await kernel.value("df is original") == "True"
    assert await kernel.value("int(df.b.sum())") == str(sum(range(1000)))

    # A deleted variable, a new model object and an import.
    [cell] = await agent_run(
        api,
        fake,
        events,
        sid,
        "from sklearn.linear_model import LinearRegression\n"
        "model = LinearRegression().fit(df[['a']], df['b'])\n"
        "del original",
    )
    assert await kernel.value("'original' in dir(), type(model).__name__") == (
        "(False, 'LinearRegression')"
    )
    answer = await undo(api, sid, cell["cell_id"])
    assert answer["removed"] == ["LinearRegression", "model"]
    assert answer["restored"] == ["original"]
    assert await kernel.value("'model' in dir(), original is df") == "(False, True)"

    # Refitting an existing model in place: the unfitted model comes back.
    await kernel.run("from sklearn.linear_model import LinearRegression\nlr = LinearRegression()")
    [cell] = await agent_run(api, fake, events, sid, "lr.fit(df[['a']], df['b'])")
    assert await kernel.value("hasattr(lr, 'coef_')") == "True"
    answer = await undo(api, sid, cell["cell_id"])
    assert answer["restored"] == ["lr"]
    assert await kernel.value("hasattr(lr, 'coef_')") == "False"

    # The notebook keeps the undone cells, marked.
    nb = nbformat.read(jp_root_dir / "analysis.ipynb", as_version=4)
    statuses = [c.metadata["codeagent"]["status"] for c in nb.cells if "codeagent" in c.metadata]
    assert statuses == ["undone"] * 4
    state = await api.get(sid)
    assert {c["status"] for c in state["cells"]} == {"undone"}
    # Undoing twice, or a cell that never ran: 409; unknown ids: 404.
    code, message = await refused(api, "sessions", sid, "cells", cell["cell_id"], "undo")
    assert code == 409 and "already undone" in message
    code, _ = await refused(api, "sessions", sid, "cells", "c_nope", "undo")
    assert code == 404
    code, _ = await refused(api, "sessions", "s_nope", "cells", cell["cell_id"], "undo")
    assert code == 404
    code, _ = await refused(api, "sessions", "s_nope", "revert")
    assert code == 404
    events.close()


async def test_files_overwritten_and_created_are_restored(
    api: Api, fake: Any, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    sid, events, _kernel = await start(api, jp_serverapp)
    (jp_root_dir / "sales.csv").write_text("region,revenue\nnorth,120\n")
    [cell] = await agent_run(
        api,
        fake,
        events,
        sid,
        "df.to_csv('sales.csv', index=False)\ndf.head().to_csv('summary.csv')",
    )
    assert cell["undoable"] is True
    assert (jp_root_dir / "sales.csv").read_text().startswith("a,b\n")
    assert (jp_root_dir / "summary.csv").exists()
    answer = await undo(api, sid, cell["cell_id"])
    assert answer["files_restored"] == ["sales.csv"]
    assert answer["files_removed"] == ["summary.csv"]
    assert (jp_root_dir / "sales.csv").read_text() == "region,revenue\nnorth,120\n"
    assert not (jp_root_dir / "summary.csv").exists()
    events.close()


async def test_what_cannot_be_undone_is_said_before_and_refused(
    api: Api, fake: Any, jp_serverapp: Any
) -> None:
    sid, events, kernel = await start(api, jp_serverapp)
    await kernel.run("import numpy as np\narr = np.zeros(1_000_000)")  # 8 MB > 1 MB limit
    [cell] = await agent_run(api, fake, events, sid, "arr[:10] = 1\ntotal = arr.sum()")
    # The card knew when the cell was proposed, and again before it ran.
    [proposed] = events.of_type("cell_proposed")
    assert proposed["undoable"] is False and "copy limit" in proposed["undo_note"]
    assert cell["undoable"] is False
    assert "`arr`" in cell["undo_note"] and "copy limit" in cell["undo_note"]
    code, message = await refused(api, "sessions", sid, "cells", cell["cell_id"], "undo")
    assert code == 409
    assert "`arr`" in message and "arr[:10] = 1" in message and "8.0 MB" in message
    # Nothing was undone: all or nothing.
    assert await kernel.value("float(arr[:10].sum()), 'total' in dir()") == "(10.0, True)"
    events.close()


async def test_revert_a_two_cell_run_and_the_order_rules(
    api: Api, fake: Any, jp_serverapp: Any
) -> None:
    sid, events, kernel = await start(api, jp_serverapp)
    first, second = await agent_run(
        api,
        fake,
        events,
        sid,
        "df['c'] = df.a * 2\ndf = df[df.a < 10]",
        "total = int(df.c.sum())\nrows.clear()",
    )
    assert await kernel.value("len(df), total, rows") == "(10, 90, [])"
    # The older cell cannot be undone alone: the newer one ran after it.
    code, message = await refused(api, "sessions", sid, "cells", first["cell_id"], "undo")
    assert code == 409 and second["cell_id"] in message
    answer = await api.call("POST", "sessions", sid, "revert")
    assert answer["cells"] == [second["cell_id"], first["cell_id"]]
    assert answer["removed"] == ["total"]
    assert set(answer["restored"]) == {"df", "original", "rows"}  # original is df
    assert await kernel.value("len(df), list(df.columns), rows, df is original") == (
        "(1000, ['a', 'b'], [1, 2, 3], True)"
    )
    undone = [(await events.until_type("cell_undone"))["cell_id"] for _ in range(2)]
    assert undone == [second["cell_id"], first["cell_id"]]
    # Nothing left to revert in the last run.
    code, message = await refused(api, "sessions", sid, "revert")
    assert code == 409 and "no cell left" in message
    events.close()


async def test_revert_clicked_while_an_undo_finishes_waits_for_it(
    api: Api, fake: Any, jp_serverapp: Any
) -> None:
    """Undo on the newest card, then Revert run while the Undo still writes the notebook
    (the card already says Undone): Revert waits its turn and undoes the rest."""
    sid, events, kernel = await start(api, jp_serverapp)
    first, second = await agent_run(
        api, fake, events, sid, "df['c'] = df.a * 2", "total = int(df.c.sum())"
    )
    # The notebook is open in a tab: Undo's change of the notebook waits for its answer.
    tab = await api.events(sid, after=(await api.get(sid))["last_seq"])
    shown = [
        {"cell_id": cell["cell_id"], "session": sid, "status": "done", "outputs": 0}
        for cell in (first, second)
    ]
    await tab.ws.write_message(json.dumps({"type": "attach", "cells": shown}))
    undoing = asyncio.ensure_future(undo(api, sid, second["cell_id"]))
    op = await next_notebook_op(tab.ws)
    assert op["op"]["cell_id"] == second["cell_id"]

    reverting = asyncio.ensure_future(api.call("POST", "sessions", sid, "revert"))
    await asyncio.sleep(0.5)
    assert not reverting.done()  # waiting for the Undo, not refused
    await ack_notebook_op(tab.ws, op)
    assert (await undoing)["cells"] == [second["cell_id"]]
    op = await next_notebook_op(tab.ws)
    assert op["op"]["cell_id"] == first["cell_id"]
    await ack_notebook_op(tab.ws, op)
    assert (await reverting)["cells"] == [first["cell_id"]]
    assert await kernel.value("list(df.columns), 'total' in globals()") == "(['a', 'b'], False)"
    tab.close()
    events.close()


async def test_a_change_made_after_the_cell_blocks_its_undo(
    api: Api, fake: Any, jp_serverapp: Any
) -> None:
    sid, events, kernel = await start(api, jp_serverapp)
    [cell] = await agent_run(api, fake, events, sid, "df = df.head(20)")
    await kernel.run("df = df.head(5)")  # the user works on after the agent's cell
    code, message = await refused(api, "sessions", sid, "cells", cell["cell_id"], "undo")
    assert code == 409 and "`df` was changed after" in message
    assert await kernel.value("len(df)") == "5"
    events.close()


@pytest.mark.parametrize("approval", ["always"])
async def test_a_rejected_cell_has_nothing_to_undo(api: Api, fake: Any) -> None:
    session = await api.create_session()
    events = await api.events(session["id"])
    script = new_script(fake)
    script.planner(plan("More"))
    script.coder(propose("x = 1"), finish("Done."))
    script.reviewer(review())
    await api.send(session["id"], "set x")
    proposed = await events.until_type("cell_proposed")
    await api.reject(session["id"], proposed["cell_id"], "no")
    await events.until_type("run_finished")
    path = ("sessions", session["id"], "cells", proposed["cell_id"], "undo")
    code, message = await refused(api, *path)
    assert code == 409 and "did not run" in message
    events.close()


def test_the_static_scan_names_what_a_cell_may_change_in_place() -> None:
    from jupyter_codeagent.safety.mutations import in_place_effects

    effects = in_place_effects(
        "arr[:10] = 1\n"
        "df.drop(columns=['b'], inplace=True)\n"
        "df2 = df.drop(columns=['b'], inplace=False)\n"
        "rows.append(4)\n"
        "model.fit(X, y)\n"
        "np.random.shuffle(z)\n"
        "nested[0].append(1)\n"
        "total += 1\n"
        "summary = df.describe()\n"
    )
    assert effects.mutates == {
        "arr": "`arr[:10] = 1` (line 1)",
        "df": "`df.drop(columns=['b'], inplace=True)` (line 2)",
        "rows": "`rows.append(4)` (line 4)",
        "model": "`model.fit(X, y)` (line 5)",
        "z": "`np.random.shuffle(z)` (line 6)",
        "nested": "`nested[0].append(1)` (line 7)",
        "total": "`total += 1` (line 8)",
    }
    assert {"df2", "summary", "X", "y"} <= effects.names
    assert in_place_effects("def (:").mutates == {}  # does not parse: nothing known
