"""Output collection, model text and secret scrubbing, without a kernel (fast)."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_codeagent.kernel import ExecutionResult
from jupyter_codeagent.kernel.model_text import human_size, render_result, truncate_middle
from jupyter_codeagent.kernel.outputs import OutputCollector, apply_overwrites
from jupyter_codeagent.kernel.secrets import (
    collect_secrets,
    env_secrets,
    looks_like_secret_name,
    scrub,
)


def msg(msg_type: str, **content: Any) -> dict[str, Any]:
    return {"header": {"msg_type": msg_type}, "parent_header": {}, "content": content}


def test_collector_merges_streams_and_handles_displays() -> None:
    events: list[dict[str, Any]] = []
    c = OutputCollector(events.append)
    c.handle(msg("execute_input", execution_count=7, code="x"))
    c.handle(msg("stream", name="stdout", text="a"))
    c.handle(msg("stream", name="stdout", text="b\n"))
    c.handle(msg("stream", name="stderr", text="warn\n"))
    c.handle(msg("stream", name="stdout", text="c\n"))
    c.handle(
        msg("display_data", data={"text/plain": "1"}, metadata={}, transient={"display_id": "d"})
    )
    c.handle(
        msg(
            "update_display_data",
            data={"text/plain": "2"},
            metadata={"m": 1},
            transient={"display_id": "d"},
        )
    )
    c.handle(
        msg(
            "update_display_data",
            data={"text/plain": "?"},
            metadata={},
            transient={"display_id": "elsewhere"},
        )
    )
    assert not c.handle(msg("status", execution_state="busy"))
    assert c.handle(msg("status", execution_state="idle"))
    assert c.execution_count == 7
    assert c.outputs == [
        {"output_type": "stream", "name": "stdout", "text": "ab\n"},
        {"output_type": "stream", "name": "stderr", "text": "warn\n"},
        {"output_type": "stream", "name": "stdout", "text": "c\n"},
        {"output_type": "display_data", "data": {"text/plain": "2"}, "metadata": {"m": 1}},
    ]
    assert [e["output_type"] for e in events] == [
        "stream",
        "stream",
        "stream",
        "stream",
        "display_data",
        "update_display_data",
        "update_display_data",
    ]
    assert events[1]["text"] == "b\n"  # events carry chunks, not the merged text


def test_collector_clear_output_wait_and_a_broken_callback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("consumer bug")

    c = OutputCollector(broken)
    c.handle(msg("stream", name="stdout", text="old\n"))
    c.handle(msg("clear_output", wait=True))
    assert len(c.outputs) == 1  # wait=True: cleared only when the next output arrives
    c.handle(msg("stream", name="stdout", text="new\n"))
    assert c.outputs == [{"output_type": "stream", "name": "stdout", "text": "new\n"}]
    assert "on_output callback failed" in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain\n", "plain\n"),
        ("10%\r20%\r", "20%\r"),
        ("10%\r20%\rdone\n", "done\n"),
        ("abcdef\rxy\n", "xycdef\n"),
        ("ab\bc", "ac"),
        ("line\r\nnext", "line\nnext"),
    ],
)
def test_apply_overwrites(text: str, expected: str) -> None:
    assert apply_overwrites(text) == expected


def test_model_text_notes_rich_outputs_and_strips_ansi() -> None:
    png = "A" * 40_000  # base64 of 30,000 bytes
    result = ExecutionResult(
        status="error",
        execution_count=4,
        duration=0.5,
        error_name="ValueError",
        error_value="bad",
        outputs=(
            {"output_type": "stream", "name": "stdout", "text": "\x1b[31mred\x1b[0m\n"},
            {"output_type": "display_data", "data": {"image/png": png}, "metadata": {}},
            {
                "output_type": "execute_result",
                "execution_count": 4,
                "metadata": {},
                "data": {"text/plain": "df", "text/html": "<table/>"},
            },
            {
                "output_type": "error",
                "ename": "ValueError",
                "evalue": "bad",
                "traceback": ["\x1b[0;31mValueError\x1b[0m: bad"],
            },
        ),
    )
    text = render_result(result, limit=10_000, secrets=())
    assert text.startswith("status: error, execution_count 4, 0.50 s\nerror: ValueError: bad")
    assert "[stdout]\nred" in text and "\x1b" not in text
    assert "[display]\n[image/png 30 kB]" in text
    assert "[Out[4]]\ndf\nalso: [text/html 8 B]" in text
    assert "[error] ValueError: bad\nValueError: bad" in text
    ok = ExecutionResult(status="ok", execution_count=None, outputs=())
    assert render_result(ok, limit=100, secrets=()) == "status: ok, 0.00 s\n(no output)"


def test_truncate_middle_keeps_head_and_tail() -> None:
    text = "".join(f"{i:04d}\n" for i in range(1000))
    cut = truncate_middle(text, 200)
    assert len(cut) <= 200
    assert cut.startswith("0000\n") and cut.endswith("0999\n")
    head, rest = cut.split("\n... [", 1)
    number, tail = rest.split(" characters cut] ...\n", 1)
    assert len(head) + len(tail) + int(number.replace(",", "")) == len(text)
    assert truncate_middle("short", 200) == "short"


def test_human_size() -> None:
    assert [human_size(n) for n in (512, 3200, 34_000, 1_200_000)] == [
        "512 B",
        "3.2 kB",
        "34 kB",
        "1.2 MB",
    ]


def test_secret_names_and_scrubbing() -> None:
    for name in (
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
        "DB_PASSWORD",
        "AWS_SECRET_ACCESS_KEY",
        "MY_APIKEY",
        "db_pwd",
        "SERVICE_CREDENTIALS",
        "GITHUB_PAT",
    ):
        assert looks_like_secret_name(name), name
    for name in ("PATH", "PWD", "OLDPWD", "HOME", "KEYBOARD_LAYOUT", "AUTHOR", "SSH_AUTH_SOCK"):
        assert not looks_like_secret_name(name), name
    env = {"X_TOKEN": "tok-1234567890", "Y_KEY": "short", "PATH": "/usr/bin:/bin"}
    assert env_secrets(env) == ("tok-1234567890",)
    secrets = ("abcd-long-secret", "abcdefgh", "x")
    assert scrub("x abcd-long-secret y abcdefgh z", secrets) == "x [redacted] y [redacted] z"
    # Never a value under 8 characters: scrubbing the placeholder key "x" wrecked texts.
    message = "the request exceeds the available context size"
    assert scrub(message, ("x", "none", "abcd")) == message
    assert "sk-abc123" in collect_secrets(["sk-abc123", "", "ab"])
    assert "ab" not in collect_secrets(["ab"])  # too short to be a real key
    assert "abcdefg" not in collect_secrets(["abcdefg"])
