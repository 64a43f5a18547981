"""What every codeagent route shares: the base handler (whose ``write_error`` turns every
failure into the contract's error JSON), body and whole-number parsing."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler

from ..app import CodeAgentApp
from ..errors import BadRequest, CodeAgentError, PayloadTooLarge
from ..sessions import SessionManager

AUTH_RESOURCE = "codeagent"

MAX_BODY_BYTES = 1_000_000
# Event seqs are SQLite integers; anything larger is no seq at all.
MAX_SEQ = 2**62

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class CodeAgentHandler(APIHandler):
    """Base of every codeagent route: JSON errors of the contract, body parsing."""

    auth_resource = AUTH_RESOURCE

    @property
    def codeagent(self) -> CodeAgentApp:
        app = self.settings.get("codeagent")
        if not isinstance(app, CodeAgentApp):
            raise CodeAgentError("The codeagent server extension is not initialised.")
        return app

    @property
    def sessions(self) -> SessionManager:
        return self.codeagent.sessions

    @property
    def user_name(self) -> str | None:
        """Who is asking, as jupyter_server's identity provider knows them."""
        user = self.current_user
        return getattr(user, "username", None) or (user if isinstance(user, str) else None)

    def read_json(self) -> dict[str, Any]:
        """The request body as a JSON object; an empty body is an empty object."""
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest(f"The request body is not valid JSON: {error}") from None
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object.")
        _check_text(body)
        return body

    def int_argument(self, name: str, default: int, *, low: int, high: int) -> int:
        """A whole-number query argument in ``[low, high]`` (400 otherwise)."""
        raw = self.get_argument(name, None)
        if raw is None:
            return default
        value = whole_number(raw)
        if value is None or not low <= value <= high:
            raise BadRequest(f"'{name}' must be a whole number from {low} to {high}.")
        return value

    def write_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The one place that maps exceptions to the error JSON."""
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, CodeAgentError):
            status_code, code, message = error.status, error.code, error.message
        elif isinstance(error, tornado.web.HTTPError):
            code = _STATUS_CODES.get(status_code, "http_error")
            message = error.reason or HTTPStatus(status_code).phrase
            if error.log_message:
                message = error.log_message % error.args if error.args else error.log_message
        else:
            code = "internal_error"
            message = "The server failed to handle this request; see the server log."
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(error_body(code, message)))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # Deliberate errors are answers, not server faults: keep tracebacks for real bugs.
        if isinstance(value, CodeAgentError) and value.status < 500:
            self.log.info("codeagent %s: %s", value.code, value.message)
            return
        super().log_exception(typ, value, tb)


def whole_number(raw: str) -> int | None:
    """``raw`` as a non-negative int, ASCII digits only (``"²".isdigit()`` is true)."""
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def _check_text(value: Any) -> None:
    """Every string of a body must be storable text (JSON admits lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("The request contains text that is not valid Unicode.") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)
