"""Recognise "the prompt does not fit the context window" in every provider's words.

The run must tell this error apart from any other 400: it is the one the agent loop
can fix (by condensing the conversation) instead of failing. Structured fields are
trusted first; the text is the fallback for servers that send only a message. The
shapes, as each server sends them:

- OpenAI: ``{"error": {"code": "context_length_exceeded", "message": "This model's
  maximum context length is 128000 tokens. However, your messages resulted in ..."}}``
- Anthropic: 400 ``invalid_request_error`` "prompt is too long: 212417 tokens > 200000
  maximum" (or 413 ``request_too_large`` for an oversized body)
- llama.cpp: 400 ``{"error": {"type": "exceed_context_size_error", "message": "the
  request exceeds the available context size, try increasing it", "n_prompt_tokens":
  ..., "n_ctx": ...}}``; mid-stream "Context size has been exceeded."
- vLLM: 400 ``{"object": "error", "type": "BadRequestError", "message": "This model's
  maximum context length is 4096 tokens. However, you requested ..."}`` (top level in
  older versions, under ``error`` in newer ones)
- Ollama (``truncate: false`` or an embedding): "the input length exceeds the context
  length"; by default Ollama truncates silently instead, hence ``ContextWindow``
- LM Studio: ``{"error": "Trying to keep the first 5415 tokens when context the
  overflows. However, the model is loaded with context length of only 4096 tokens,
  which is not enough. Try to load the model with a larger context length, ..."}``
"""

from __future__ import annotations

CONTEXT_LENGTH_CODES = frozenset(
    {"context_length_exceeded", "exceed_context_size_error", "context_window_exceeded"}
)
_HINTS = (
    "context length",  # OpenAI, vLLM, Ollama, LM Studio
    "context_length",
    "context window",
    "context size",  # llama.cpp, LM Studio 0.4
    "maximum context",
    "context overflows",
    "context the overflows",  # LM Studio's wording, typo included
    "prompt is too long",  # Anthropic
    "too many tokens",
    "exceed_context_size",
)


def is_context_length_error(
    message: str, *, code: object = None, error_type: object = None
) -> bool:
    """Whether a provider error (its code, type or text) says the prompt is too long."""
    for field in (code, error_type):
        if isinstance(field, str) and field in CONTEXT_LENGTH_CODES:
            return True
    lowered = message.lower()
    return any(hint in lowered for hint in _HINTS)
