"""Split a Markdown file into topics, one per heading.

A topic is the text under one heading up to the next heading of any level, so a
look-up returns a focused section instead of a whole document. The trail of
enclosing headings is kept ("Glossary > Pipeline" in spirit) because a leaf heading such as
"Definition" means little on its own.

Supported: ATX headings (``#`` to ``######``), fenced code blocks (``#`` lines
inside them are code, not headings), YAML front matter (skipped). Setext headings
(underlined with ``===``/``---``) are treated as text: ``---`` is far more often a
rule or front matter in knowledge files, and misreading it would split topics badly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SLUG_SEPARATORS = re.compile(r"[^\w]+")
TRAIL_SEPARATOR = " › "  # noqa: RUF001  (a readable separator in prompts)


@dataclass(frozen=True, kw_only=True)
class Topic:
    """One section of a knowledge file."""

    title: str
    trail: tuple[str, ...]
    body: str
    position: int

    @property
    def heading(self) -> str:
        return TRAIL_SEPARATOR.join(self.trail)


def slugify(text: str) -> str:
    """``"Sales pipeline"`` → ``"sales-pipeline"`` (how ``@name`` pins name topics)."""
    return _SLUG_SEPARATORS.sub("-", text.lower()).strip("-_")


def title_from_filename(name: str) -> str:
    stem = name.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    words = re.sub(r"[_\-]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else name


def _skip_front_matter(lines: list[str]) -> int:
    """Index of the first line after a leading ``---`` ... ``---`` block (0 if none)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, min(len(lines), 200)):
        if lines[index].strip() in ("---", "..."):
            return index + 1
    return 0


def split_topics(text: str, *, file_title: str) -> list[Topic]:
    """The topics of one file, in document order; sections with no text are skipped.

    Text before the first heading becomes a topic named after the file.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    topics: list[Topic] = []
    stack: list[tuple[int, str]] = []
    trail: tuple[str, ...] = (file_title,)
    body: list[str] = []
    fence: str | None = None

    def close_section() -> None:
        content = "\n".join(body).strip("\n")
        if content.strip():
            topics.append(Topic(title=trail[-1], trail=trail, body=content, position=len(topics)))
        body.clear()

    for line in lines[_skip_front_matter(lines) :]:
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            body.append(line)
            continue
        heading = None if fence is not None else _HEADING.match(line)
        if heading is None or not (heading.group(2) or "").strip():
            body.append(line)
            continue
        close_section()
        level = len(heading.group(1))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading.group(2).strip()))
        trail = tuple(title for _, title in stack)
    close_section()
    return topics
