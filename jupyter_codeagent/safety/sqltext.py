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
_CLAUSES = frozenset({"returning", "using", "limit", "order", "output", "as"})


def sql_findings(text: str, line: int | None) -> list[RiskFinding]:
    """Findings for the destructive statements in a string that may be SQL.

    Prose is told apart by its shape: SQL keywords are written all upper or all lower
    case ("Delete from..." is a sentence), and a DELETE is followed by a table name and
    SQL clauses only.
    """
    lowered = text.lower()
    if not any(k in lowered for k in _KEYWORDS):
        return []
    found: list[RiskFinding] = []
    for original in text.split(";"):
        written = original.split()
        if len(written) < 2 or not (written[0].isupper() or written[0].islower()):
            continue
        words = [w.lower() for w in written]
        verb, target = words[0], words[1]
        shown = shorten(" ".join(words), 60)
        if verb == "drop" and target in _DROPPABLE:
            found.append(_destroys(f"Deletes a whole {target} (`{shown}`)", line))
        elif verb == "truncate" and (target == "table" or len(words) == 2):
            found.append(_destroys(f"Empties a table (`{shown}`)", line))
        elif verb == "delete" and target == "from" and _whole_table(words[2:]):
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


def _whole_table(rest: list[str]) -> bool:
    """``users``, ``users u``, ``users returning *``: a table and no WHERE clause."""
    if not rest or "where" in rest:
        return False
    clauses = rest[1:]
    if clauses and clauses[0] not in _CLAUSES:
        clauses = clauses[1:]  # an alias
    return not clauses or clauses[0] in _CLAUSES


def _destroys(what: str, line: int | None) -> RiskFinding:
    return finding("destructive_sql", "high", f"{what}; the data cannot be recovered", line)
