"""The one exception hierarchy of jupyter-codeagent.

Every error the extension raises on purpose derives from ``CodeAgentError``;
``routes/base.py`` maps them to the contract's ``{"error": {code, message}}`` JSON using
``code`` and ``status``. Messages are shown to users and must never contain secrets.
"""

from __future__ import annotations


class CodeAgentError(Exception):
    """Base of all deliberate errors; ``code`` is stable, ``message`` is for people."""

    code: str = "internal_error"
    status: int = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


# --- request errors (4xx) -----------------------------------------------------


class BadRequest(CodeAgentError):
    code = "bad_request"
    status = 400


class PayloadTooLarge(BadRequest):
    code = "payload_too_large"
    status = 413


class PathOutsideRoot(BadRequest):
    code = "path_outside_root"


class NotFound(CodeAgentError):
    code = "not_found"
    status = 404


class Conflict(CodeAgentError):
    code = "conflict"
    status = 409


# --- configuration -------------------------------------------------------------


class ConfigurationError(CodeAgentError):
    """No usable model configuration (missing key, unknown provider...)."""

    code = "not_configured"
    status = 503


# --- model errors ----------------------------------------------------------------


class ModelError(CodeAgentError):
    """A language-model call failed in a way the run cannot recover from."""

    code = "model_error"
    status = 502


class ModelAuthError(ModelError):
    code = "model_auth"


class ModelContextLengthError(ModelError):
    code = "model_context_length"


class ModelUnavailableError(ModelError):
    """Retries exhausted on rate limits, server errors, timeouts or dropped streams."""

    code = "model_unavailable"


class ModelStreamInterrupted(ModelUnavailableError):
    """A streamed answer stopped before its end (dropped connection, in-stream error event).

    The SDKs retry a request until its response starts, not a stream that breaks later;
    ``models/`` tries such a stream again itself while none of it was delivered, and
    raises this (with its ``reason``) once it cannot.
    """

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class ModelResponseError(ModelError):
    """The provider answered with something we cannot use (malformed output)."""

    code = "model_bad_response"


# --- agent runs --------------------------------------------------------------------


class ToolError(CodeAgentError):
    """A tool could not do what the model asked (unknown task id, no such variable...).

    Not a bug of ours: the message goes back to the model as the tool's result so it
    can correct itself; the run goes on.
    """

    code = "tool_error"
    status = 400


class StepLimitReached(CodeAgentError):
    """The run used its allowance of model calls."""

    code = "step_limit"
    status = 409


class BudgetExceeded(CodeAgentError):
    """A model call would pass a spending budget; the run stops before making it.

    ``budget`` is the setting's name (``budget_session_usd``...); the message says how
    much was spent, the limit and how to raise it.
    """

    code = "budget_exceeded"
    status = 409

    def __init__(self, message: str, *, budget: str) -> None:
        super().__init__(message)
        self.budget = budget


# --- kernel and notebook errors ------------------------------------------------


class KernelError(CodeAgentError):
    code = "kernel_error"
    status = 500


class KernelDiedError(KernelError):
    code = "kernel_died"


class NotebookError(CodeAgentError):
    code = "notebook_error"
    status = 500
