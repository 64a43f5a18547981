"""Turn free text from a model or a user into a safe SQLite FTS5 query.

FTS5 has its own syntax (``AND``/``OR``/``NOT``/``NEAR``, quotes, ``*``, ``^``,
column filters with ``:``, parentheses); a question like ``what's "ARR" (annual)?``
would be a syntax error or mean something else. We keep only word characters and
quote every term, so nothing the caller writes is ever read as an operator.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 16
# Terms this short are matched exactly; longer ones also match as a prefix
# ("forecast" finds "forecasting"), which helps a model that guesses word forms.
_PREFIX_MIN_CHARS = 4
# Words that match almost every topic: they only add noise to an OR query.
# fmt: off
_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
    "how", "i", "in", "is", "it", "me", "my", "of", "on", "or", "our", "show", "tell",
    "that", "the", "this", "to", "use", "used", "we", "what", "when", "where", "which",
    "who", "why", "with", "you",
})
# fmt: on


def query_terms(text: str) -> list[str]:
    """Distinct lower-cased search terms, stop words dropped unless nothing else is left."""
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        word = word.strip("_")
        if word and word not in words:
            words.append(word)
    meaningful = [w for w in words if w not in _STOP_WORDS]
    return (meaningful or words)[:MAX_TERMS]


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for ``text`` (any term may match), None if it has no words.

    bm25 ranks topics matching more (and rarer) terms first, so OR gives recall
    without giving up precision at the top.
    """
    terms = query_terms(text)
    if not terms:
        return None
    parts = [f'"{t}"*' if len(t) >= _PREFIX_MIN_CHARS else f'"{t}"' for t in terms]
    return " OR ".join(parts)
