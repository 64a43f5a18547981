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


#: A figure as a summary writes it: 40, 1,234, -3.5, 12% (not the 1 of "t1").
_FIGURE = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?%?(?!\w)")
#: Sentences of the coder's own instructions: a small model sends them back as its summary.
_INSTRUCTIONS = (
    "call finish with the answer",
    "mark it done with update_task",
    "propose the next cell",
)


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """How a run ended: its closing text, whose words they are, whether code ran for a
    request that needed it (``None`` when no code was needed), and the summary's figures
    that no cell of the run printed."""

    summary: str
    agent: AgentRole
    computed: bool | None = None
    unverified: tuple[str, ...] = ()

    def honest_summary(self) -> str:
        if self.computed is False and NO_CODE_RAN not in self.summary:
            return f"{NO_CODE_RAN}\n\n{self.summary}"
        if self.unverified:
            listed = ", ".join(self.unverified)
            return (
                f"**Check these figures: {listed}** — no cell of this run printed "
                f"{'it' if len(self.unverified) == 1 else 'them'}.\n\n{self.summary}"
            )
        return self.summary


def unverified_figures(summary: str, run: RunContext) -> tuple[str, ...]:
    """The figures of ``summary`` found neither in what the run's cells printed (as the
    coder saw it), nor in their code, nor in the request, allowing for rounding and
    percentages. A small model wrote "has 493 rows" after a cell that printed the
    columns' types: 493 was the file's size in bytes."""
    seen = [_value(token) for token in _FIGURE.findall(run.request)]
    for result in run.results:
        seen += [_value(token) for token in _FIGURE.findall(f"{result.output}\n{result.source}")]
    known = [v for v in seen if v is not None]
    missing: list[str] = []
    for token in _FIGURE.findall(summary):
        value = _value(token)
        if value is None or token in missing:
            continue
        decimals = len(token.rstrip("%").partition(".")[2])
        candidates = [(v, v * 100) if token.endswith("%") else (v,) for v in known]
        slack = 0.5 * 10**-decimals + 1e-9  # 44.28 for 44.275, whichever way it rounds
        if not any(abs(c - value) <= slack for pair in candidates for c in pair):
            missing.append(token)
    return tuple(missing)


def _value(token: str) -> float | None:
    try:
        return float(token.rstrip("%").replace(",", ""))
    except ValueError:
        return None


def echoes_instructions(summary: str) -> bool:
    """Whether a summary is the coder's instructions sent back rather than an answer."""
    lowered = summary.lower()
    return any(sentence in lowered for sentence in _INSTRUCTIONS)


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
