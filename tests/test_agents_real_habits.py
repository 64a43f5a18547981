"""What real (small, local) models do, and honest outcomes: through the API with a real
kernel, the real openai SDK and the fake model server replaying what models really send.

The replies marked "recorded" are real Qwen2.5-Coder-0.5B answers from
``tests/fixtures/real_replies`` (see its README for how they were recorded).
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script, tool_results_text

from jupyter_codeagent.testing.agent_script import (
    call,
    context_of,
    finish,
    plan,
    propose,
    review,
    text,
)
from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall

REPLIES = Path(__file__).parent / "fixtures" / "real_replies"
CSV = "name,age\nann,31\nbob,45\ncid,27\n"


def recorded(case: str, temperature: float = 0.0) -> str:
    """The text of a recorded real reply (the model wrote its tool call as text)."""
    for entry in json.loads((REPLIES / "no_template.json").read_text()):
        if entry["case"] == case and entry["temperature"] == temperature:
            return str(entry["response"]["choices"][0]["message"]["content"])
    raise KeyError(case)


@pytest.fixture
def extra() -> dict[str, Any]:
    return {}


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], fake: Any, extra: dict[str, Any]
) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always", **extra)
    return jp_server_config


@pytest.fixture
def api(jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path) -> Api:
    (jp_root_dir / "titanic.csv").write_text(CSV)
    return Api(jp_fetch, jp_ws_fetch)


async def _start(api: Api, text: str) -> tuple[str, Any]:
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], text)
    return session["id"], events


async def _approve_all(api: Api, session_id: str, events: Any) -> dict[str, Any]:
    """Approve every cell until the run ends; the run_finished event."""
    while True:
        event = await events.until(lambda e: e["type"] in ("cell_proposed", "run_finished"))
        if event["type"] == "run_finished":
            return event
        if event["needs_approval"]:
            await api.approve(session_id, event["cell_id"])


async def test_a_tool_call_written_as_json_text_is_run(api: Api, fake: Any) -> None:
    """recorded: propose_cell as a ```json block in the text, no native tool call. The
    model's code ends in a module-level ``return``: proposed, then blocked as unparsable,
    and the coder is told; its next (scripted) cell runs."""
    script = new_script(fake)
    script.planner(plan("Count the rows"))
    script.coder(
        FakeReply(text=recorded("propose_row_count", 0.7)),
        propose("import pandas as pd\nprint(len(pd.read_csv('titanic.csv')))"),
        finish("3 rows."),
    )
    script.reviewer(review())
    session_id, events = await _start(api, "how many rows has titanic.csv?")
    proposed = await events.until_type("cell_proposed")
    assert "titanic = pd.read_csv('titanic.csv')" in proposed["source"]
    blocked = await events.until_type("cell_blocked")
    assert "does not parse" in blocked["reason"]
    finished = await _approve_all(api, session_id, events)
    assert finished["status"] == "done" and finished["summary"] == "3 rows."
    assert "does not parse" in tool_results_text(script.requests_of("coder")[1])


async def test_a_broken_call_written_as_text_goes_back_to_the_model(api: Api, fake: Any) -> None:
    """recorded: the JSON of the call is broken (a string closed with the wrong quote)."""
    script = new_script(fake)
    script.planner(plan("Count the rows"))
    script.coder(
        FakeReply(text=recorded("propose_row_count", 0.0)),
        call("update_task", task_id="t1", status="failed", note="cannot"),
        finish("Could not count."),
    )
    script.planner(text("Nothing else to try."))  # asked to revise after the failure
    _, events = await _start(api, "how many rows has titanic.csv?")
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done" and finished["no_code_ran"] is True
    first_result = tool_results_text(script.requests_of("coder")[1])
    assert "The call to `propose_cell` was not run" in first_result


async def test_a_python_block_in_the_text_is_a_proposal(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Count the rows"))
    script.coder(
        text(
            "Here is the cell:\n```python\nimport pandas as pd\n"
            "print(len(pd.read_csv('titanic.csv')))\n```"
        ),
        finish("3 rows."),
    )
    script.reviewer(review())
    session_id, events = await _start(api, "count the rows of titanic.csv")
    proposed = await events.until_type("cell_proposed")
    assert proposed["source"].startswith("import pandas as pd")
    assert proposed["explanation"] == "Here is the cell:"
    await api.approve(session_id, proposed["cell_id"])
    executed = await events.until_type("cell_executed")
    assert executed["outputs"][0]["text"] == "3\n"
    assert (await events.until_type("run_finished"))["status"] == "done"


@pytest.mark.parametrize(
    "answer",
    ["approve", "Approve. Low risk: it only reads the file.", '{"verdict": "approve"}'],
)
async def test_a_reviewer_verdict_in_plain_words_is_a_verdict(
    api: Api, fake: Any, answer: str
) -> None:
    script = new_script(fake)
    script.planner(plan("Count"))
    script.coder(propose("1 + 1"), finish("2."))
    script.reviewer(text(answer))
    session_id, events = await _start(api, "add")
    proposed = await events.until_type("cell_proposed")
    assert proposed["review"]["verdict"] == "approve"
    # A bare verdict without a risk is not "low": it cannot run unattended under 'risky'.
    expected = "low" if "Low risk" in answer else "medium"
    assert proposed["review"]["risk"] == expected
    await api.approve(session_id, proposed["cell_id"])
    assert (await events.until_type("run_finished"))["status"] == "done"


async def test_a_task_is_done_only_once_its_cell_ran(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Load", "Report"))
    script.coder(
        call("update_task", task_id="t1", status="done"),  # nothing ran yet: refused
        finish("All done."),  # t1 and t2 untried: refused
        propose("x = 42", task_id="t1"),
        call("update_task", task_id="t1", status="done"),
        call("update_task", task_id="t2", status="skipped", note="nothing to report"),
        finish("x is 42."),
    )
    script.reviewer(review())
    session_id, events = await _start(api, "compute x")
    finished = await _approve_all(api, session_id, events)
    assert finished["status"] == "done" and finished["summary"] == "x is 42."
    calls = script.requests_of("coder")
    assert "cannot be done yet: none of its cells ran" in tool_results_text(calls[1])
    assert "Not finished: t1 (Load), t2 (Report) still open" in tool_results_text(calls[2])
    tasks = (await api.get(session_id))["plan"]["tasks"]
    assert [t["status"] for t in tasks] == ["done", "skipped"]


async def test_a_cell_with_a_task_id_of_its_own_invention_still_runs(api: Api, fake: Any) -> None:
    # Seen with Qwen2.5-Coder-0.5B: `propose_cell(code=..., task_id="load_data")` for a
    # plan whose only task is t1. Refusing the call over the label threw the code away.
    script = new_script(fake)
    script.planner(plan("Load the data"))
    script.coder(
        propose("rows = 3\nprint(rows)", task_id="load_data"),
        call("update_task", task_id="t1", status="done"),
        finish("There are 3 rows."),
    )
    script.reviewer(review())
    session_id, events = await _start(api, "how many rows?")
    finished = await _approve_all(api, session_id, events)
    assert finished["status"] == "done" and finished["summary"] == "There are 3 rows."
    state = await api.get(session_id)
    assert [(c["task_id"], c["status"]) for c in state["cells"]] == [("t1", "done")]
    assert [t["status"] for t in state["plan"]["tasks"]] == ["done"]


async def test_update_task_with_the_id_of_the_cell_that_ran_means_its_task(
    api: Api, fake: Any
) -> None:
    # Seen with Qwen2.5-Coder-0.5B, twice: `update_task(task_id="c76744112ce", "done")`,
    # the id of the cell that had just run, refused until the run ended without a summary.
    script = new_script(fake)
    script.planner(plan("Count rows"))
    script.coder(propose("rows = 3\nprint(rows)", task_id="t1"))

    def coder(request: Any) -> FakeReply:
        said = json.dumps(request.messages)
        if "Task t1 is now done" in said:
            return finish("There are 3 rows.")
        cell_id = re.search(r"cell_id[^c]*(c[0-9a-f]{10})", said)
        assert cell_id is not None
        return call("update_task", task_id=cell_id.group(1), status="done")

    script.otherwise("coder", coder)
    script.reviewer(review())
    session_id, events = await _start(api, "how many rows?")
    finished = await _approve_all(api, session_id, events)
    assert finished["status"] == "done" and finished["summary"] == "There are 3 rows."
    updates = [e for e in events.of_type("tool_result") if e["name"] == "update_task"]
    assert [(u["ok"], u["summary"]) for u in updates] == [(True, "Task t1 is now done.")]


async def test_a_block_for_a_non_danger_is_a_revision_the_user_settles(api: Api, fake: Any) -> None:
    """Seen with Qwen2.5-Coder-0.5B: the reviewer "blocks" a harmless read_csv (risk
    medium, "it does not check the row count"), the coder proposes the same code again;
    every cell was blocked and nothing ran. A block without danger is a revision; the
    same code proposed again is not reviewed again but goes to the user, who decides."""
    script = new_script(fake)
    script.planner(plan("Count rows"))
    code = "import pandas as pd\ndf = pd.read_csv('titanic.csv')\nprint(len(df))"
    script.coder(propose(code, task_id="t1"), propose(code, task_id="t1"))
    script.coder(finish("titanic.csv has 3 rows."))
    not_a_danger = "The code does not run because it does not check the row count."
    script.reviewer(review("block", "medium", not_a_danger))
    session_id, events = await _start(api, "How many rows does titanic.csv have?")
    proposed = await events.until_type("cell_proposed")
    assert proposed["needs_approval"] and proposed["review"]["verdict"] == "revise"
    assert proposed["review"]["comments"] == not_a_danger
    await api.approve(session_id, proposed["cell_id"])
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done" and finished["summary"] == "titanic.csv has 3 rows."
    calls = script.requests_of("coder")
    assert '"decision":"revise"' in tool_results_text(calls[1]).replace(" ", "")
    assert len(script.requests_of("reviewer")) == 1  # the same code was not reviewed again
    cells = (await api.get(session_id))["cells"]
    assert [c["status"] for c in cells] == ["done"]


async def test_a_cell_the_coder_leaves_after_a_revision_goes_to_the_user(
    api: Api, fake: Any
) -> None:
    """Seen with Qwen2.5-Coder-0.5B: the reviewer sends a right cell back ("it prints the
    shape, which is not necessary"); the coder never proposes again but rewrites the
    task's note, call after call, until the step limit; the run ended with nothing run
    and nothing said. A note-only update is no progress, so the idle guard stops the
    coder; the cell it left goes to the user with the reviewer's comments (under every
    policy), and once it ran the coder hears the outcome and finishes."""
    script = new_script(fake)
    script.planner(plan("Count rows"))
    code = "import pandas as pd\nprint(pd.read_csv('titanic.csv').shape[0])"
    script.coder(propose(code, task_id="t1"))
    notes = itertools.count()

    def coder(request: Any) -> FakeReply:
        if "You left the cell the reviewer sent back" in json.dumps(request.messages):
            return finish("titanic.csv has 3 rows.")
        note = f"The cell should print the shape{'.' * next(notes)}"
        return call("update_task", task_id="t1", status="in_progress", note=note)

    script.otherwise("coder", coder)
    comments = "It prints the shape, which is not necessary for the task."
    script.reviewer(review("block", "medium", comments))
    session_id = (await api.create_session())["id"]
    events = await api.events(session_id)
    body = {"text": "How many rows does titanic.csv have?", "settings": {"approval": "never"}}
    await api.call("POST", "sessions", session_id, "messages", body=body)
    proposed = await events.until_type("cell_proposed", timeout=120)
    assert proposed["needs_approval"] and proposed["review"]["comments"] == comments
    assert proposed["source"] == code
    await api.approve(session_id, proposed["cell_id"])
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done" and finished["summary"] == "titanic.csv has 3 rows."
    assert [e["status"] for e in events.of_type("cell_executed")] == ["ok"]
    # The proposal, the task started (progress), 4 note-only updates (idle), finish.
    assert len(script.requests_of("coder")) == 1 + 1 + 4 + 1


@pytest.mark.parametrize("extra", [{"max_steps": 5}])
async def test_the_step_limit_with_no_cell_run_says_so(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Count rows", "More"))
    script.otherwise(
        "coder", lambda request: call("update_task", task_id="t1", status="in_progress")
    )
    _, events = await _start(api, "How many rows does titanic.csv have?")
    finished = await events.until_type("run_finished", timeout=120)
    assert finished["status"] == "stopped"
    said = [e["text"] for e in events.of_type("message") if e.get("agent") == "coder"]
    assert said and said[-1].startswith("**No code ran in this run**")


async def test_under_never_a_disputed_cell_still_asks(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Count rows"))
    script.coder(propose("print(1)", task_id="t1"), propose("print(1)", task_id="t1"))
    script.coder(finish("Done."))
    script.reviewer(review("revise", "low", "Print 2 instead."))
    session_id = (await api.create_session())["id"]
    events = await api.events(session_id)
    body = {"text": "print one", "settings": {"approval": "never"}}
    await api.call("POST", "sessions", session_id, "messages", body=body)
    proposed = await events.until_type("cell_proposed")
    assert proposed["needs_approval"]  # fail closed: the reviewer's doubt stands
    await api.reject(session_id, proposed["cell_id"], "no")
    await events.until_type("run_finished")


async def test_code_the_user_rejected_is_not_proposed_again(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Count rows"))
    script.coder(propose("print(1)", task_id="t1"), propose("print(1)", task_id="t1"))
    script.coder(finish("Gave up."))
    script.reviewer(review())
    session_id, events = await _start(api, "print one")
    proposed = await events.until_type("cell_proposed")
    await api.reject(session_id, proposed["cell_id"], "not that")
    await events.until_type("run_finished")
    calls = script.requests_of("coder")
    assert "This exact code was already turned down in this run (the user: not that)" in (
        tool_results_text(calls[2])
    )
    assert len(events.of_type("cell_proposed")) == 1


async def test_a_high_risk_block_stands(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Clean"))
    script.coder(propose("import os\nprint(os.getcwd())", task_id="t1"))
    script.coder(call("update_task", task_id="t1", status="failed", note="blocked"))
    script.coder(finish("Could not."))
    script.reviewer(review("block", "high", "It sends the data to an unknown server."))
    script.planner(text("Nothing else to try."))
    _, events = await _start(api, "clean up")
    blocked = await events.until_type("cell_blocked")
    assert "Blocked by the reviewer" in blocked["reason"]
    await events.until_type("run_finished")
    assert len(script.requests_of("reviewer")) == 1


async def test_a_run_without_code_says_so(api: Api, fake: Any) -> None:
    """The coder gives up without proposing anything: the summary says no code ran."""
    script = new_script(fake)
    script.planner(plan("Average age"))
    script.coder(
        call("update_task", task_id="t1", status="failed", note="no idea"),
        finish("The average age is 34."),  # invented
    )
    script.planner(text("Nothing else to try."))  # asked to revise after the failure
    _, events = await _start(api, "what is the average age in titanic.csv?")
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done" and finished["no_code_ran"] is True
    assert finished["summary"].startswith("**No code ran in this run**")


async def test_a_figure_no_cell_printed_is_flagged_in_the_summary(api: Api, fake: Any) -> None:
    # Seen with Qwen2.5-Coder-0.5B: the cell printed the columns' types, the coder's
    # summary said "has 493 rows" (the file's size in bytes) and the run ended "done".
    script = new_script(fake)
    script.planner(plan("Load the data"))
    script.coder(
        propose("import pandas as pd\ndf = pd.read_csv('titanic.csv')\ndf.dtypes", task_id="t1"),
        finish("titanic.csv has 493 rows; the mean age is 34.3."),
    )
    script.reviewer(review())
    session_id, events = await _start(api, "How many rows does titanic.csv have?")
    finished = await _approve_all(api, session_id, events)
    assert finished["status"] == "done"
    assert finished["summary"].startswith("**Check these figures: 493, 34.3** — no cell")
    assert finished["summary"].endswith("titanic.csv has 493 rows; the mean age is 34.3.")


async def test_instructions_sent_back_as_the_summary_give_way_to_what_cells_printed(
    api: Api, fake: Any
) -> None:
    # Seen with Qwen2.5-Coder-0.5B: finish(summary=<the tool result's own 'next' advice>).
    script = new_script(fake)
    script.planner(plan("Count"))
    echoed = (
        "The task t1 is now done. If this output answers the task, mark it done with "
        "update_task; once every task is done, call finish with the answer and its figures."
    )
    script.coder(propose("print(14)", task_id="t1"), finish(echoed))
    script.reviewer(review())
    session_id, events = await _start(api, "How many survived?")
    finished = await _approve_all(api, session_id, events)
    assert finished["status"] == "done" and "call finish" not in finished["summary"]
    assert finished["summary"].startswith("The agents ended without a summary.")
    assert "14" in finished["summary"]


async def test_a_data_question_answered_in_prose_goes_to_the_coder(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(text("titanic.csv has 1,000 rows."))  # a guess
    script.coder(propose("import pandas as pd\nprint(len(pd.read_csv('titanic.csv')))"))
    script.coder(finish("titanic.csv has 3 rows."))
    script.reviewer(review())
    session_id, events = await _start(api, "How many rows does titanic.csv have?")
    plan_event = await events.until_type("plan")
    assert plan_event["tasks"][0]["title"].startswith("Answer: How many rows")
    finished = await _approve_all(api, session_id, events)
    assert finished["summary"] == "titanic.csv has 3 rows." and finished["agent"] == "coder"
    said = [e["text"] for e in events.of_type("message") if e.get("agent") == "planner"]
    assert said == ["titanic.csv has 1,000 rows."]  # shown, not taken as the answer


async def test_advice_is_answered_in_prose(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(text("Use pandas.read_csv."))
    _, events = await _start(api, "How do I read a CSV file?")
    finished = await events.until_type("run_finished")
    assert (finished["agent"], finished["summary"]) == ("planner", "Use pandas.read_csv.")
    assert not script.requests_of("coder")


async def test_repeated_calls_are_refused_and_an_idle_coder_is_stopped(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Look"))
    same = FakeReply(tool_calls=[FakeToolCall("inspect_variable", {"name": "nothing"})])
    script.otherwise("coder", lambda request: same)
    _, events = await _start(api, "look at the data")
    finished = await events.until_type("run_finished", timeout=120)
    assert finished["status"] == "done" and finished["no_code_ran"] is True
    calls = script.requests_of("coder")
    assert len(calls) == 4  # MAX_IDLE_REPLIES replies that changed nothing
    assert "already called `inspect_variable` with these arguments" in tool_results_text(calls[-1])


@pytest.mark.parametrize("extra", [{"max_steps": 4}])
async def test_the_step_limit_reports_what_the_cells_printed(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Count", "More"))
    script.coder(propose("print('ROWS=3')", task_id="t1"))
    script.otherwise("coder", lambda request: call("list_files"))
    script.reviewer(review())
    session_id, events = await _start(api, "count rows")
    finished = await _approve_all(api, session_id, events)
    assert finished["status"] == "stopped"
    assert events.of_type("error")[-1]["code"] == "step_limit"
    partial = [e["text"] for e in events.of_type("message") if e.get("agent") == "coder"][-1]
    assert "What its cells showed so far" in partial and "ROWS=3" in partial


async def test_files_are_in_the_context_and_readable_inside_the_root_only(
    api: Api, fake: Any
) -> None:
    script = new_script(fake)
    script.planner(
        FakeReply(
            tool_calls=[
                FakeToolCall("list_files", {}),
                FakeToolCall("preview_file", {"path": "titanic.csv", "lines": 2}),
                FakeToolCall("preview_file", {"path": "../../etc/passwd"}),
                FakeToolCall("list_files", {"folder": "titanic.csv"}),  # seen with Qwen 0.5B
            ]
        ),
        text("It holds names and ages."),
    )
    _, events = await _start(api, "What is in this folder?")
    await events.until_type("run_finished")
    first, second = script.requests_of("planner")
    assert "titanic.csv (30 B): name,age" in context_of(first)
    results = tool_results_text(second)
    assert "- titanic.csv (30 B)" in results
    assert "name,age\nann,31\n[...]" in results
    assert "leads outside the server root" in results
    # A file given to list_files is answered with its first lines, not refused (a small
    # model asked again and again after the refusal).
    assert "titanic.csv is a file (30 B), not a folder. Its first lines:\nname,age" in results


@pytest.mark.parametrize("extra", [{"max_tool_calls": 1}])
async def test_calls_beyond_the_cap_are_dropped_and_the_model_told(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(
        FakeReply(
            tool_calls=[
                FakeToolCall("list_variables", {}),
                FakeToolCall("list_files", {}),
                FakeToolCall("list_files", {"folder": "x"}),
            ]
        ),
        text("Nothing to do."),
    )
    _, events = await _start(api, "hello")
    await events.until_type("run_finished")
    results = tool_results_text(script.requests_of("planner")[1])
    assert "2 more were dropped and not run: list_files, list_files" in results


async def test_coder_prompts_grow_append_only(api: Api, fake: Any) -> None:
    """Each coder request repeats the previous one as its prefix (prompt caches)."""
    script = new_script(fake)
    script.planner(plan("One", "Two"))
    script.coder(
        propose("a = 1", task_id="t1"), propose("b = 2", task_id="t2"), finish("a and b set.")
    )
    script.reviewer(review(), review())
    session_id, events = await _start(api, "set a and b")
    await _approve_all(api, session_id, events)
    calls = [r.messages for r in script.requests_of("coder")]
    for earlier, later in itertools.pairwise(calls):
        assert later[: len(earlier)] == earlier
    reviews = [r.messages for r in script.requests_of("reviewer")]
    assert reviews[1][: len(reviews[0])] == reviews[0]


@pytest.fixture
def llama_cpp(fake: Any) -> Any:
    fake.routes[("GET", "/props")] = {"default_generation_settings": {"n_ctx": 4096}}
    yield fake
    fake.routes.pop(("GET", "/props"), None)


async def test_a_small_window_sizes_the_budget_and_picks_the_compact_profile(
    api: Api, llama_cpp: Any
) -> None:
    script = new_script(llama_cpp)
    script.planner(plan("Count"))
    script.coder(propose("1 + 1"), finish("2."))
    script.reviewer(review())
    session_id, events = await _start(api, "add")
    await _approve_all(api, session_id, events)
    coder = script.requests_of("coder")[0]
    assert [t["function"]["name"] for t in coder.body["tools"]] == [
        "propose_cell",
        "finish",
        "update_task",
    ]
    assert coder.body["temperature"] == 0.2
    assert coder.messages[0]["content"].startswith("You are the coder of a team of agents in a")


async def test_the_reviewer_reports_analysis_pitfalls_as_findings(api: Api, fake: Any) -> None:
    leaky = (
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.model_selection import train_test_split\n"
        "import numpy as np\nX = np.arange(20.0).reshape(10, 2); y = np.arange(10) % 2\n"
        "X = StandardScaler().fit_transform(X)\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)"
    )
    script = new_script(fake)
    script.planner(plan("Split"))
    script.coder(propose(leaky), finish("Split done."))
    script.reviewer(
        call(
            "submit_review",
            verdict="approve",
            risk="low",
            comments="Runs, but see the pitfall.",
            pitfalls=["The scaler is fit on all rows before the split: test data leaks."],
        )
    )
    session_id, events = await _start(api, "scale and split")
    proposed = await events.until_type("cell_proposed")
    pitfalls = [f for f in proposed["review"]["findings"] if f["code"] == "analysis_pitfall"]
    assert pitfalls and pitfalls[0]["severity"] == "warning"
    assert "scaler is fit on all rows" in pitfalls[0]["message"]
    reviewer_prompt = script.requests_of("reviewer")[0].messages[0]["content"]
    assert "leaking from the test set" in reviewer_prompt
    await api.approve(session_id, proposed["cell_id"])
    assert (await events.until_type("run_finished"))["status"] == "done"


async def test_a_coder_that_stops_without_finishing_leaves_what_its_cells_printed(
    api: Api, fake: Any
) -> None:
    """Seen with Qwen2.5-Coder-0.5B: the right cell ran, then the model never called
    finish. The summary is what the cells printed, and says the agents wrote none."""
    script = new_script(fake)
    script.planner(plan("Count rows"))
    script.coder(propose("print(40)", task_id="t1"))
    idle = FakeReply(tool_calls=[FakeToolCall("inspect_variable", {"name": "nothing"})])
    script.otherwise("coder", lambda request: idle)
    script.reviewer(review())
    session_id, events = await _start(api, "How many rows does titanic.csv have?")
    finished = await _approve_all(api, session_id, events)
    assert finished["status"] == "done" and not finished.get("no_code_ran")
    summary = finished["summary"]
    assert summary.startswith("The agents ended without a summary. What the cells showed:")
    assert "40" in summary
