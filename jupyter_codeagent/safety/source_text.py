"""Characters that make the source read differently from what runs (Trojan Source).

Bidirectional controls reorder what the reviewer sees (a comment can appear to close
before code that is really inside it, CVE-2021-42574); invisible characters make two
strings that look equal differ. Python accepts both inside strings and comments. The
patterns are single character classes: one linear scan of the source each.
"""

from __future__ import annotations

import re

from .findings import RiskFinding, finding

# Embeddings, overrides and isolates: the characters of the Trojan Source attack.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Marks used in right-to-left text; suspicious in code, common in Arabic or Hebrew labels.
_BIDI_MARKS = re.compile("[\u200e\u200f\u061c]")
# Zero-width and invisible characters, line separators editors show as line breaks,
# Unicode tags (invisible copies of ASCII), and a byte order mark after the start.
_INVISIBLE = re.compile(
    "[\u00ad\u115f\u1160\u180e\u200b-\u200d\u2028\u2029\u2060-\u2064\u3164\ufeff\uffa0"
    "\U000e0000-\U000e007f]"
)
_EMOJI_JOINER = "\u200d"


def source_findings(code: str) -> list[RiskFinding]:
    """Findings for bidirectional and invisible characters anywhere in the cell."""
    found: list[RiskFinding] = []
    bidi = _BIDI.search(code)
    if bidi is not None:
        found.append(
            finding(
                "bidi_control",
                "block",
                f"Contains the invisible text-direction character U+{ord(bidi.group()):04X}, "
                "which makes the code display differently from how it runs — blocked",
                _line(code, bidi.start()),
            )
        )
    for match in _INVISIBLE.finditer(code):
        if match.start() == 0 and match.group() == "\ufeff":
            continue  # a byte order mark at the very start is harmless
        if match.group() == _EMOJI_JOINER and _joins_emoji(code, match.start()):
            continue  # 👩‍💻: a joiner between two pictographs is part of an emoji
        found.append(
            finding(
                "invisible_character",
                "high",
                f"Contains the invisible character U+{ord(match.group()):04X}; two names or "
                "strings that look the same may differ",
                _line(code, match.start()),
            )
        )
        break
    marks = _BIDI_MARKS.search(code)
    if marks is not None:
        found.append(
            finding(
                "bidi_control",
                "warning",
                f"Contains the invisible text-direction mark U+{ord(marks.group()):04X}",
                _line(code, marks.start()),
            )
        )
    return found


def _joins_emoji(code: str, index: int) -> bool:
    before = code[index - 1] if index > 0 else ""
    after = code[index + 1] if index + 1 < len(code) else ""
    return bool(before and after) and ord(before) >= 0x2600 and ord(after) >= 0x2600


def _line(code: str, index: int) -> int:
    return code.count("\n", 0, index) + 1
