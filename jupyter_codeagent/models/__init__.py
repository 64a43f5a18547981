"""Everything an agent knows of a language model: one ``ChatModel`` interface over
the official OpenAI and Anthropic SDKs, a neutral message format, usage and cost.

Agents get a model from ``build_chat_model(settings, role, options=ModelOptions(...))``
and call ``complete()`` or ``stream()``; ``await model.context_window()`` says how many
tokens a request may hold. Errors are the ``ModelError`` family of
``jupyter_codeagent.errors`` (a prompt that does not fit: ``ModelContextLengthError``).
A reply that wrote its tool calls as text is made whole by ``recover_tool_calls``,
which the caller applies (see ``text_tool_calls``).
"""

from typing import Any

from jupyter_codeagent.models.base import (
    ChatModel,
    ModelOptions,
    cap_tool_calls,
    make_tool_call,
    parse_tool_arguments,
    validate_tool_arguments,
)
from jupyter_codeagent.models.context_window import ContextWindow
from jupyter_codeagent.models.factory import (
    Readiness,
    build_chat_model,
    check_configuration,
    probe_base_url,
)
from jupyter_codeagent.models.messages import (
    AssistantMessage,
    ImagePart,
    Message,
    ModelResponse,
    StreamEvent,
    StreamFinished,
    SystemMessage,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolResultMessage,
    ToolSpec,
    Usage,
    UserMessage,
)
from jupyter_codeagent.models.pricing import PRICES, Price, cost_for, set_price
from jupyter_codeagent.models.retry import RetryPolicy
from jupyter_codeagent.models.text_tool_calls import recover_in_response, recover_tool_calls

__all__ = [
    "PRICES",
    "AnthropicChatModel",
    "AssistantMessage",
    "ChatModel",
    "ContextWindow",
    "ImagePart",
    "Message",
    "ModelOptions",
    "ModelResponse",
    "OpenAIChatModel",
    "Price",
    "Readiness",
    "RetryPolicy",
    "StreamEvent",
    "StreamFinished",
    "SystemMessage",
    "TextDelta",
    "ToolCall",
    "ToolCallReady",
    "ToolResultMessage",
    "ToolSpec",
    "Usage",
    "UserMessage",
    "build_chat_model",
    "cap_tool_calls",
    "check_configuration",
    "cost_for",
    "make_tool_call",
    "parse_tool_arguments",
    "probe_base_url",
    "recover_in_response",
    "recover_tool_calls",
    "set_price",
    "validate_tool_arguments",
]


def __getattr__(name: str) -> Any:
    # The provider classes import their SDK (seconds each); load them only when asked.
    if name == "OpenAIChatModel":
        from jupyter_codeagent.models.openai_model import OpenAIChatModel

        return OpenAIChatModel
    if name == "AnthropicChatModel":
        from jupyter_codeagent.models.anthropic_model import AnthropicChatModel

        return AnthropicChatModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
