"""What the chat and the cards render: money stays money (no LaTeX), streamed text and
reviewer comments as Markdown, earlier review rounds on the card, figures as
thumbnails, and one attributed line for a blocked cell."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review
from jupyter_codeagent.testing.fake_script import FakeReply

from .conftest import LabServer
from .review_helpers import fake, lab, new_script, shot
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
    open_notebook,
    open_sidebar,
    send,
    wait_card_status,
    wait_run_status,
    write_notebook,
)

pytestmark = pytest.mark.browser
__all__ = ["fake", "lab"]

MONEY = "Revenue fell from $120k in Q1 to $48k in Q2, a drop of $72k."
PICTURE = """import struct, zlib
from IPython.display import Image, display
w, h = 60, 30
raw = b''.join(b'\\x00' + bytes([200, 40, 40]) * w for _ in range(h))
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
       + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
display(Image(png))"""


def test_money_is_text_and_streamed_text_is_markdown(page: Any, lab: LabServer, fake: Any) -> None:
    write_notebook(lab.root, "money.ipynb")
    script = new_script(fake)
    streamed = "**Bold** first.\n\n" + " ".join(f"word{i}" for i in range(80)) + "\n\n" + MONEY
    script.planner(FakeReply(text=streamed, chunk_delay=0.05))
    open_notebook(page, lab, "money.ipynb")
    open_sidebar(page)
    send(page, "how did revenue go?")
    # While it streams, the finished blocks are already Markdown.
    page.wait_for_selector(
        f"{SIDEBAR} .jp-CodeAgent-message.jp-mod-streaming .jp-CodeAgent-stream strong",
        timeout=TIMEOUT,
    )
    wait_run_status(page, "done")
    reply = page.locator(f"{SIDEBAR} .jp-CodeAgent-message[data-agent='planner']").last
    reply.locator("strong").wait_for(timeout=TIMEOUT)
    assert MONEY in reply.inner_text()
    assert reply.locator("mjx-container, .MathJax, math").count() == 0
    shot(page, "rendering-money-stays-text", SIDEBAR)


def test_cards_render_reviews_rounds_figures_and_blocks(
    page: Any, lab: LabServer, fake: Any
) -> None:
    write_notebook(lab.root, "cards.ipynb")
    (lab.root / "keep").mkdir(exist_ok=True)
    script = new_script(fake)
    script.planner(plan("Draw a picture", "Clean up"))
    script.coder(
        propose("print('a picture')", "A picture.", "t1"),
        propose(PICTURE, "Draw it.", "t1"),
        propose("import shutil\nshutil.rmtree('keep')", "Clean up.", "t2"),
        finish("Drew it; could not clean up."),
    )
    script.reviewer(
        review("revise", "low", "Draw with `IPython.display.Image`, not **print**."),
        review("approve", "low", "Uses `display` as asked."),
    )
    open_notebook(page, lab, "cards.ipynb")
    open_sidebar(page)
    send(page, "draw a picture, then clean up")

    picture = wait_card_status(page, 0, "proposed")
    # The reviewer's comments are Markdown, on the card...
    assert picture.locator(".jp-CodeAgent-card-comments code").inner_text() == "display"
    # ...and the round it sent back is the card's history, not a chat bubble.
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-message[data-agent='reviewer']").count() == 0
    history = picture.locator(".jp-CodeAgent-history")
    assert "1 earlier review round" in history.locator("summary").inner_text()
    history.locator("summary").click()
    assert history.locator("code").first.inner_text() == "IPython.display.Image"
    assert history.locator("strong").inner_text() == "print"
    assert "print('a picture')" in history.locator(".jp-CodeAgent-diff").inner_text()
    picture.locator(".jp-CodeAgent-approve").click()

    # A figure is a thumbnail on the card, not its text/plain.
    done = wait_card_status(page, 0, "done")
    thumbnail = done.locator(".jp-CodeAgent-thumbnail img")
    thumbnail.wait_for(timeout=TIMEOUT)
    assert thumbnail.get_attribute("src").startswith("data:image/png;base64,")
    assert (
        page.evaluate(
            "() => document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-thumbnail img')"
            ".naturalWidth"
        )
        == 60
    )
    assert done.locator(".jp-CodeAgent-output").count() == 0  # no "<IPython...Image object>"

    # A block: one line that says who blocked it and why, not three.
    blocked = wait_card_status(page, 1, "blocked")
    line = blocked.locator(".jp-CodeAgent-card-reason.jp-mod-blocked")
    assert line.get_attribute("data-blocked-by") == "analyzer"
    assert line.inner_text().startswith("Blocked by the static analysis:")
    assert line.inner_text().endswith("It will not run.")
    assert blocked.locator(".jp-CodeAgent-verdict").count() == 0
    assert "Reviewer" not in blocked.inner_text()
    wait_run_status(page, "done")
    assert (lab.root / "keep").is_dir()
    # The plan tells what happened to each task's cells.
    task = page.locator(f"{SIDEBAR} .jp-CodeAgent-task[data-task-id='t2']")
    assert "1 blocked" in task.inner_text()
    shot(page, "rendering-cards", SIDEBAR)
