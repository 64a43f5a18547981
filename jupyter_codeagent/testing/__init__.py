"""Test helpers shipped with the package, for this project and for extension authors.

``FakeModelServer`` speaks the OpenAI and Anthropic HTTP APIs on loopback from a
script, so tests exercise the real SDKs without a real model.

Names are imported lazily so that ``python -m jupyter_codeagent.testing.fake_model_server``
does not import that module twice (once through this package, once as ``__main__``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_codeagent.testing.fake_model_server import FakeModelServer
    from jupyter_codeagent.testing.fake_script import (
        FakeReply,
        FakeToolCall,
        RecordedRequest,
        echo_responder,
        load_script,
    )

_EXPORTS = {
    "FakeModelServer": "jupyter_codeagent.testing.fake_model_server",
    "FakeReply": "jupyter_codeagent.testing.fake_script",
    "FakeToolCall": "jupyter_codeagent.testing.fake_script",
    "RecordedRequest": "jupyter_codeagent.testing.fake_script",
    "echo_responder": "jupyter_codeagent.testing.fake_script",
    "load_script": "jupyter_codeagent.testing.fake_script",
}

__all__ = [
    "FakeModelServer",
    "FakeReply",
    "FakeToolCall",
    "RecordedRequest",
    "echo_responder",
    "load_script",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
