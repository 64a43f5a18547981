"""Destructive SQL in strings: DROP, TRUNCATE, DELETE or UPDATE without WHERE.

Statements are split at ``;`` and judged by their first words; no regular expression
with repetition is involved, so the cost is linear in the text.
"""

from __future__ import annotations

from .findings import RiskFinding, finding, shorten

_DROPPABLE = frozenset(
    {"table", "database", "schema", "view", "index", "collection", "keyspace", "materialized"}
)
_KEYWORDS = ("drop", "truncate", "delete", "update", "alter")


def sql_findings(text: str, line: int | None) -> list[RiskFinding]:
    """Findings for the destructive statements in a string that may be SQL."""
    lowered = text.lower()
    if not any(k in lowered for k in _KEYWORDS):
        return []
    found: list[RiskFinding] = []
    for statement in lowered.split(";"):
        words = statement.split()
        if len(words) < 2:
            continue
        verb, target = words[0], words[1]
        shown = shorten(" ".join(words), 60)
        if verb == "drop" and target in _DROPPABLE:
            found.append(_destroys(f"Deletes a whole {target} (`{shown}`)", line))
        elif verb == "truncate" and (target == "table" or len(words) == 2):
            found.append(_destroys(f"Empties a table (`{shown}`)", line))
        elif verb == "delete" and target == "from" and "where" not in words:
            found.append(_destroys(f"Deletes every row of a table, no WHERE (`{shown}`)", line))
        elif verb == "update" and "set" in words and "where" not in words:
            found.append(
                finding(
                    "destructive_sql",
                    "warning",
                    f"Changes every row of a table, no WHERE (`{shown}`)",
                    line,
                )
            )
        elif verb == "alter" and target == "table" and "drop" in words:
            found.append(
                finding("destructive_sql", "warning", f"Drops part of a table (`{shown}`)", line)
            )
    return found


def _destroys(what: str, line: int | None) -> RiskFinding:
    return finding("destructive_sql", "high", f"{what}; the data cannot be recovered", line)
