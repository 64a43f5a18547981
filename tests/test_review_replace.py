"""A proposal that changes an existing cell (``propose_cell(replaces=...)``), and the
reviewer's "revise" rounds carrying the code they are about. Real server, real kernel,
scripted fake model; the notebook is written through the file (no browser attached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import Api, model_config, new_script, tool_results_text

from jupyter_codeagent.testing.agent_script import call, finish, plan, propose, review

BROKEN = "total = 10\ntotal / 0"
FIXED = "total = 10\ntotal / 4"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


def _notebook_with_a_failing_cell(root: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(BROKEN)]
    nb.cells[1].id = "broken-cell"
    nb.cells[1].outputs = [
        nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")
    ]
    nbformat.write(nb, root / "fix.ipynb")
    return "broken-cell"


def _replace(code: str, target: str) -> Any:
    return call("propose_cell", code=code, explanation="Divide by four.", replaces=target)


async def test_an_approved_change_replaces_the_cell_in_place(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    target = _notebook_with_a_failing_cell(jp_root_dir)
    script = new_script(fake)
    script.planner(plan("Fix the division"))
    script.coder(_replace(FIXED, target), finish("Fixed: 2.5."))
    script.reviewer(review())
    session = await api.create_session("fix.ipynb")
    events = await api.events(session["id"])
    await api.send(session["id"], "Fix this error.")

    proposed = await events.until_type("cell_proposed")
    assert proposed["replaces"] == target
    nb = nbformat.read(jp_root_dir / "fix.ipynb", as_version=4)
    assert [c.source for c in nb.cells] == ["x = 1", BROKEN]  # nothing changes before approval

    await api.approve(session["id"], proposed["cell_id"])
    executed = await events.until_type("cell_executed")
    assert executed["status"] == "ok"
    assert (await events.until_type("run_finished"))["status"] == "done"

    nb = nbformat.read(jp_root_dir / "fix.ipynb", as_version=4)
    assert [c.source for c in nb.cells] == ["x = 1", FIXED]  # changed in place, none added
    fixed = nb.cells[1]
    assert fixed.id == target
    assert fixed.metadata["codeagent"]["status"] == "done"
    assert fixed.outputs[0]["data"]["text/plain"] == "2.5"
    assert "2.5" in tool_results_text(script.requests_of("coder")[-1])


async def test_a_rejected_change_leaves_the_cell_as_it_was(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    target = _notebook_with_a_failing_cell(jp_root_dir)
    before = (jp_root_dir / "fix.ipynb").read_text()
    script = new_script(fake)
    script.planner(plan("Fix the division"))
    script.coder(_replace(FIXED, target), finish("Left as it is."))
    script.reviewer(review())
    session = await api.create_session("fix.ipynb")
    events = await api.events(session["id"])
    await api.send(session["id"], "Fix this error.")
    proposed = await events.until_type("cell_proposed")
    await api.reject(session["id"], proposed["cell_id"], "Keep it.")
    await events.until_type("run_finished")
    assert (jp_root_dir / "fix.ipynb").read_text() == before
    state = await api.get(session["id"])
    assert [c["status"] for c in state["cells"]] == ["rejected"]


async def test_revise_comments_carry_the_code_they_are_about(api: Api, fake: Any) -> None:
    first = "import os\nprint(os.listdir('.'))"
    second = "print(sorted(p.name for p in __import__('pathlib').Path('.').iterdir()))"
    script = new_script(fake)
    script.planner(plan("List the files"))
    script.coder(propose(first, "List.", "t1"), propose(second, "Sorted.", "t1"), finish("ok"))
    script.reviewer(review("revise", "low", "Sort the `names`."), review())
    session = await api.create_session("rounds.ipynb")
    events = await api.events(session["id"])
    await api.send(session["id"], "list the files")
    proposed = await events.until_type("cell_proposed")
    assert proposed["source"] == second
    assert "replaces" not in proposed  # a new cell: the optional field is left out
    reviewer = [e for e in events.of_type("message") if e.get("agent") == "reviewer"]
    assert reviewer == [
        {**reviewer[0], "text": "Sort the `names`.", "reviewed_code": first},
    ]
    await api.reject(session["id"], proposed["cell_id"])
    await events.until_type("run_finished")
