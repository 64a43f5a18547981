"""Honest outcomes: what a run may claim, and what it says when it stops short.

A run that was asked to compute something is done only when a cell ran; a data
question answered in prose goes to the coder instead; a run cut off by its step limit
reports what its cells printed; and the summary of a run in which no code ran says so.
The model profile and the prompt budget are fitted to the model at the start of a run.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ..events import AgentRole
from ..tools import RunContext

log = logging.getLogger(__name__)

NO_CODE_RAN = (
    "**No code ran in this run**, so nothing below was computed from your data; "
    "treat any figures as unverified."
)
NO_CELL_RAN = (
    "**No code ran in this run**: it stopped before any cell ran, so nothing was computed "
    "from your data."
)
#: Windows at or below this size get the compact profile under ``profile=auto``.
COMPACT_WINDOW = 8_192
#: Words that ask for something only the data can answer.
_DATA_WORDS = re.compile(
    r"\b(how many|how much|count of|number of|average|mean|median|sum of|total|"
    r"max(imum)?|min(imum)?|percent(age)?|correlat\w*|distribution|histogram|plot|chart|"
    r"visuali[sz]e|compute|calculate|top \d+|trend|grew|growth|fastest|slowest|highest|"
    r"lowest|largest|smallest|per (day|week|month|year|region|customer))\b",
    re.IGNORECASE,
)
#: Advice and explanations: answered in prose unless they name the session's data.
_ADVICE = re.compile(
    r"^\s*(how (do|can|should|would) (i|we|you)|how to|what is|what are|what's|why|explain|"
    r"when should|which (library|method|function))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """How a run ended: its closing text, whose words they are, and whether code ran
    for a request that needed it (``None`` when no code was needed)."""

    summary: str
    agent: AgentRole
    computed: bool | None = None

    def honest_summary(self) -> str:
        if self.computed is False and NO_CODE_RAN not in self.summary:
            return f"{NO_CODE_RAN}\n\n{self.summary}"
        return self.summary


def needs_data(request: str, names: set[str]) -> bool:
    """Whether answering ``request`` needs the session's data: it names a variable or a
    data file, or asks for a figure while there is data to compute it from."""
    quoted = set(re.findall(r"[`@]([A-Za-z_][\w.]*)", request))
    # Short names ("a", "df") are words too: they count when written as code or pinned.
    words = {w for w in re.findall(r"[A-Za-z_][\w.]*", request) if len(w) >= 3}
    if (words | quoted) & names:
        return True
    if not names or _ADVICE.search(request):
        return False
    return bool(_DATA_WORDS.search(request))


def partial_answer(run: RunContext, *, cut_off: bool = True) -> str | None:
    """What the run's cells printed, for a run cut off before its summary (``cut_off``)
    or one whose agents ended without writing one."""
    if not run.results:
        return None
    first = (
        "The run stopped before it could finish. What its cells showed so far:"
        if cut_off
        else "The agents ended without a summary. What the cells showed:"
    )
    lines = [first]
    for result in run.results[-5:]:
        task = run.plan.find(result.task_id) if result.task_id else None
        label = f"task {task.id} ({task.title})" if task else f"cell {result.cell_id}"
        status = "ran" if result.ok else "failed"
        output = result.output.strip() or "(no output)"
        if len(output) > 600:
            output = output[:600] + " […]"
        lines.append(f"- {label} {status}:\n```\n{output}\n```")
    return "\n".join(lines)


async def fit_to_model(run: RunContext) -> None:
    """The profile and the prompt budget of this run, from the coder's context window."""
    models = run.settings.models
    try:
        window = await run.model("coder").context_window()
    except Exception:  # an unreachable /props must not stop the run: keep the settings
        log.info("context window unknown", exc_info=True)
        return
    tokens = window.tokens
    if models.profile == "compact" or (
        models.profile == "auto" and tokens is not None and tokens <= COMPACT_WINDOW
    ):
        run.compact = True
    if tokens:
        # Room for the answer and a margin for our estimate's error.
        room = int((tokens - models.max_output_tokens) * 0.9)
        if room > 0:
            run.prompt_budget = min(run.settings.agents.prompt_token_budget, room)
