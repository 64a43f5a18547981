"""The token budget: a prompt draft, and the order in which its parts are cut.

Every model call of the planner and the coder is assembled as a ``PromptDraft`` and
fitted to ``prompt_token_budget`` (calibrated estimate, tool definitions included).
Images (cell outputs shown to a model that sees them) are first limited to the most
recent ``vision_max_images``, whatever the budget. Then cuts are applied in this
order, each only as far as needed, re-estimating after every step; the first entries
cost the model the least:

0. ``old_images``          images of the exchange but the newest, oldest first (a
                           note in the result says one was dropped)
1. ``old_tool_results``    results of the current run's tool calls, except the last
                           two rounds, shrink to a short stub (the model acted on them)
2. ``large_tool_outputs``  any tool result over 2,000 then 600 characters is cut to
                           its head and tail
3. ``recent_turns``        the oldest of the recent turns is dropped, one at a time
                           (the running summary still covers the gist)
4. ``knowledge_catalog``   the catalog of topic titles is shortened, then dropped
                           (``lookup_context`` still searches everything)
   ``data_files``          the data files beside the notebook: 5, then none
                           (``list_files`` still lists them)
5. ``data_objects``        the data-object list keeps the 20, then 5 most recently
                           touched objects, then only a count (``list_variables``)
6. ``summary``             the running summary is clipped to its last 1,500
                           characters, then dropped
7. ``pinned_context``      ``@name`` pins are clipped to 1,500 then 300 characters each
8. ``old_rounds``          whole earlier rounds of the current run are dropped, oldest
                           first, keeping the last one (a note says how many)
9. ``images``              the newest image too
10. ``last_round_outputs`` the remaining tool results are clipped to 300 characters

Never cut: the system prompt, the notebook name, the user's request and the current
step's details (the plan). If those alone exceed the budget the prompt is sent
anyway, marked ``over_budget`` (and logged): refusing to answer would help no one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from jupyter_codeagent.models import (
    AssistantMessage,
    ImagePart,
    Message,
    SystemMessage,
    ToolResultMessage,
    UserMessage,
)

CONTEXT_HEADING = "# Session context"
KEEP_ROUNDS = 2
STUB_CHARS = 160
OBJECT_LIMITS = (20, 5)
SUMMARY_CLIP = 1_500
PIN_CLIPS = (1_500, 300)
OUTPUT_CLIPS = (2_000, 600)
LAST_OUTPUT_CLIP = 300


@dataclass(frozen=True, kw_only=True)
class PromptDraft:
    """Everything one model call would see, by tier, before rendering to messages."""

    system: str
    notebook: str
    summary: str = ""
    objects: tuple[str, ...] = ()
    objects_total: int = 0
    catalog: str = ""
    files: tuple[str, ...] = ()
    recent: tuple[tuple[Message, ...], ...] = ()
    request: str
    details: str = ""
    pins: tuple[str, ...] = ()
    exchange: tuple[Message, ...] = ()
    dropped_rounds: int = 0
    tool_tokens: int = 0

    def context_text(self) -> str:
        parts = [self.notebook]
        if self.summary:
            parts.append(f"Summary of the earlier conversation:\n{self.summary}")
        if self.objects:
            lines = list(self.objects)
            if self.objects_total > len(lines):
                lines.append(f"- … and {self.objects_total - len(lines)} more (list_variables)")
            parts.append(
                "Data objects in the kernel (inspect_variable gives detail):\n" + "\n".join(lines)
            )
        elif self.objects_total:
            parts.append(
                f"Data objects: {self.objects_total} variables in the kernel (list_variables)."
            )
        else:
            parts.append("Data objects in the kernel: none yet.")
        if self.files:
            parts.append(
                "Data files beside the notebook (load them by path; preview_file shows more):\n"
                + "\n".join(self.files)
            )
        if self.catalog:
            parts.append("Knowledge topics (lookup_context(query) returns them):\n" + self.catalog)
        return "\n\n".join(parts)

    def step_text(self) -> str:
        parts = [self.request]
        if self.details:
            parts.append(self.details)
        if self.pins:
            pins = "\n\n".join(self.pins)
            parts.append(f"Pinned context (the user referred to these with @):\n\n{pins}")
        if self.dropped_rounds:
            parts.append(
                f"({self.dropped_rounds} earlier round(s) of tool calls in this request were "
                "dropped to fit the prompt budget; the plan above shows the progress.)"
            )
        return "\n\n".join(parts)

    def messages(self) -> list[Message]:
        # The role's prompt alone is the system message: static, so with the tools it is
        # a prefix every call of the role shares (prompt caches). The session context
        # is its own message; a run keeps it unchanged from call to call.
        # The recent turns come before the context: they only grow from turn to turn
        # (until the window is full), while the context changes with the data objects.
        out: list[Message] = [SystemMessage(content=self.system)]
        for turn in self.recent:
            out.extend(turn)
        out.append(UserMessage(content=f"{CONTEXT_HEADING}\n{self.context_text()}"))
        out.append(UserMessage(content=self.step_text()))
        out.extend(self.exchange)
        return out


Cut = Callable[[PromptDraft], "PromptDraft | None"]


def clip_middle(text: str, limit: int) -> str:
    """Head and tail of ``text`` in at most ``limit`` characters (errors sit at the end)."""
    if len(text) <= limit:
        return text
    note = f"\n[... {len(text) - limit:,} characters cut to fit the prompt ...]\n"
    keep = max(0, limit - len(note))
    head = (keep * 2) // 3
    tail = keep - head
    return text[:head] + note + (text[-tail:] if tail else "")


def rounds_of(exchange: tuple[Message, ...]) -> list[tuple[Message, ...]]:
    """The exchange split before every assistant message (a call and its results)."""
    rounds: list[list[Message]] = []
    for message in exchange:
        if isinstance(message, AssistantMessage) or not rounds:
            rounds.append([])
        rounds[-1].append(message)
    return [tuple(r) for r in rounds]


def _map_results(
    draft: PromptDraft, change: Callable[[str], str], *, skip_last: int = 0
) -> PromptDraft | None:
    rounds = rounds_of(draft.exchange)
    editable = len(rounds) - skip_last
    changed = False
    out: list[Message] = []
    for index, group in enumerate(rounds):
        for message in group:
            if index < editable and isinstance(message, ToolResultMessage):
                new = change(message.content)
                if new != message.content:
                    changed = True
                    message = replace(message, content=new)
            out.append(message)
    return replace(draft, exchange=tuple(out)) if changed else None


_ELIDED = "result elided to fit the prompt"


def _stub(text: str) -> str:
    if len(text) <= STUB_CHARS * 2 or _ELIDED in text[-80:]:
        return text
    return f"{text[:STUB_CHARS]} [... {_ELIDED}: {len(text):,} characters]"


def elide_old_results(draft: PromptDraft) -> PromptDraft | None:
    return _map_results(draft, _stub, skip_last=KEEP_ROUNDS)


def clip_results(limit: int) -> Cut:
    return lambda draft: _map_results(draft, lambda text: clip_middle(text, limit))


def drop_recent_turn(draft: PromptDraft) -> PromptDraft | None:
    return replace(draft, recent=draft.recent[1:]) if draft.recent else None


def shorten_catalog(draft: PromptDraft) -> PromptDraft | None:
    lines = draft.catalog.splitlines()
    if len(lines) > 4:
        kept = [*lines[:3], "- … (more topics: lookup_context searches all of them)"]
        return replace(draft, catalog="\n".join(kept))
    return replace(draft, catalog="") if draft.catalog else None


def trim_files(draft: PromptDraft) -> PromptDraft | None:
    if len(draft.files) > 5:
        return replace(draft, files=draft.files[:5])
    return replace(draft, files=()) if draft.files else None


def trim_objects(draft: PromptDraft) -> PromptDraft | None:
    for limit in OBJECT_LIMITS:
        if len(draft.objects) > limit:
            return replace(draft, objects=draft.objects[:limit])
    return replace(draft, objects=()) if draft.objects else None


def clip_summary(draft: PromptDraft) -> PromptDraft | None:
    if len(draft.summary) > SUMMARY_CLIP:
        return replace(draft, summary="…" + draft.summary[1 - SUMMARY_CLIP :])
    return replace(draft, summary="") if draft.summary else None


def clip_pins(draft: PromptDraft) -> PromptDraft | None:
    for limit in PIN_CLIPS:
        if any(len(pin) > limit for pin in draft.pins):
            return replace(draft, pins=tuple(clip_middle(p, limit) for p in draft.pins))
    return None


def drop_old_round(draft: PromptDraft) -> PromptDraft | None:
    rounds = rounds_of(draft.exchange)
    if len(rounds) <= 1:
        return None
    rest = tuple(m for group in rounds[1:] for m in group)
    return replace(draft, exchange=rest, dropped_rounds=draft.dropped_rounds + 1)


# --- images -------------------------------------------------------------------------


def _without_images(message: Message, drop: int, *, note: bool = True) -> Message:
    """``message`` without its first ``drop`` images, saying so in its text."""
    if not isinstance(message, (UserMessage, ToolResultMessage)) or drop <= 0:
        return message
    kept: tuple[ImagePart, ...] = message.images[drop:]
    dropped = len(message.images) - len(kept)
    text = message.content
    if note:
        text += f" [{dropped} image(s) here dropped from the prompt]"
    return replace(message, images=kept, content=text)


def _image_counts(messages: tuple[Message, ...]) -> list[int]:
    return [
        len(m.images) if isinstance(m, (UserMessage, ToolResultMessage)) else 0 for m in messages
    ]


def keep_last_images(
    messages: tuple[Message, ...], limit: int, *, note: bool = True
) -> tuple[Message, ...]:
    """``messages`` with at most the ``limit`` most recent images (older ones dropped,
    with a note in their message unless ``note`` is False)."""
    counts = _image_counts(messages)
    excess = sum(counts) - max(0, limit)
    if excess <= 0:
        return messages
    out: list[Message] = []
    for message, count in zip(messages, counts, strict=True):
        drop = min(count, excess)
        excess -= drop
        out.append(_without_images(message, drop, note=note))
    return tuple(out)


def drop_old_image(draft: PromptDraft) -> PromptDraft | None:
    total = sum(_image_counts(draft.exchange))
    if total <= 1:
        return None
    return replace(draft, exchange=keep_last_images(draft.exchange, total - 1))


def drop_images(draft: PromptDraft) -> PromptDraft | None:
    if not any(_image_counts(draft.exchange)):
        return None
    return replace(draft, exchange=keep_last_images(draft.exchange, 0))


# (label, cut): each cut is applied again and again until it returns None or fits.
CUT_ORDER: tuple[tuple[str, Cut], ...] = (
    ("old_images", drop_old_image),
    ("old_tool_results", elide_old_results),
    ("large_tool_outputs", clip_results(OUTPUT_CLIPS[0])),
    ("large_tool_outputs", clip_results(OUTPUT_CLIPS[1])),
    ("recent_turns", drop_recent_turn),
    ("knowledge_catalog", shorten_catalog),
    ("data_files", trim_files),
    ("data_objects", trim_objects),
    ("summary", clip_summary),
    ("pinned_context", clip_pins),
    ("old_rounds", drop_old_round),
    ("images", drop_images),
    ("last_round_outputs", clip_results(LAST_OUTPUT_CLIP)),
)


@dataclass(frozen=True, kw_only=True)
class FittedPrompt:
    draft: PromptDraft
    tokens: int
    cuts: tuple[str, ...]
    over_budget: bool


def fit_to_budget(
    draft: PromptDraft,
    budget: int,
    estimate: Callable[[PromptDraft], int],
    *,
    max_images: int | None = None,
) -> FittedPrompt:
    """Keep at most ``max_images`` images, then apply ``CUT_ORDER`` until
    ``estimate(draft) <= budget`` (or nothing is left to cut)."""
    if max_images is not None:
        draft = replace(draft, exchange=keep_last_images(draft.exchange, max_images))
    tokens = estimate(draft)
    cuts: list[str] = []
    for label, cut in CUT_ORDER:
        while tokens > budget:
            smaller = cut(draft)
            if smaller is None:
                break
            smaller_tokens = estimate(smaller)
            if smaller_tokens >= tokens:  # a cut that saves nothing would loop forever
                break
            draft, tokens = smaller, smaller_tokens
            if label not in cuts:
                cuts.append(label)
        if tokens <= budget:
            break
    return FittedPrompt(draft=draft, tokens=tokens, cuts=tuple(cuts), over_budget=tokens > budget)
