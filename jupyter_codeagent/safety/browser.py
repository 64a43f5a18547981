"""Code for the user's browser: JavaScript and active HTML displayed by a cell.

Output the kernel displays runs in JupyterLab's page with the user's cookies: script in
it can call the server's API (approve cells, change settings) as the user. JavaScript
outputs, ``<script>``, event-handler attributes and ``javascript:`` URLs are rated high.
"""

from __future__ import annotations

import re

from .findings import RiskFinding, finding

# Display classes and functions whose content is JavaScript, whatever it says.
SCRIPT_DISPLAYS = frozenset({"Javascript", "display_javascript"})
HTML_DISPLAYS = frozenset({"HTML", "SVG", "Markdown", "display_html", "display_svg", "IFrame"})
DISPLAY_MODULES = ("IPython.display.", "IPython.core.display.", "IPython.core.display_functions.")
_SCRIPT_MIME = ("application/javascript", "text/javascript", "application/x-javascript")
# Bounded and anchored on fixed characters: linear in the text.
_HANDLER = re.compile(r"[\s/\"'](on[a-z]{3,24})\s{0,8}=")
_ACTIVE_TAGS = ("<iframe", "<object", "<embed", "<base", "<meta")
_LOADING_ATTRIBUTES = ("src=", "data=", "href=", "content=", "srcdoc=")


def display_kind(qual: str) -> str | None:
    """``"script"`` or ``"html"`` for IPython display calls, by name."""
    name = qual
    for module in DISPLAY_MODULES:
        if qual.startswith(module):
            name = qual[len(module) :]
    if "." in name:
        return None
    if name in SCRIPT_DISPLAYS:
        return "script"
    if name in HTML_DISPLAYS:
        return "html"
    return None


def html_findings(text: str, line: int | None) -> list[RiskFinding]:
    """Active content in a string that may be shown as HTML or given to the browser."""
    lowered = text.lower()
    for mime in _SCRIPT_MIME:
        if mime in lowered:
            return [_script(f"Displays JavaScript ({mime} output)", line)]
    if "<" not in lowered and "javascript:" not in lowered:
        return []
    if "<script" in lowered:
        return [_script("Displays HTML with a <script> element", line)]
    if "javascript:" in lowered:
        return [_script("Displays HTML with a javascript: URL", line)]
    handler = _HANDLER.search(lowered) if "<" in lowered else None
    if handler is not None:
        return [_script(f"Displays HTML with an event handler ({handler.group(1)}=)", line)]
    for tag in _ACTIVE_TAGS:
        if tag in lowered and any(a in lowered for a in _LOADING_ATTRIBUTES):
            return [
                finding(
                    "browser_script",
                    "warning",
                    f"Displays HTML with a {tag}> element, which can load other pages "
                    "into JupyterLab",
                    line,
                )
            ]
    return []


def _script(what: str, line: int | None) -> RiskFinding:
    return finding(
        "browser_script",
        "high",
        f"{what}; it runs in JupyterLab with your login and can act on your behalf",
        line,
    )
