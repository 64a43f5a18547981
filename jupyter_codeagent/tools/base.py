"""A tool is a typed async function; its JSON schema comes from its signature.

    @tool
    async def inspect_variable(run: RunContext, name: Annotated[str, Field(min_length=1)]):
        '''A bounded summary of one variable...'''

The first parameter is the run (never shown to the model); the others become the
tool's parameters through a pydantic model built from the signature, so the schema
the model reads and the validation of what it sends cannot disagree. The docstring's
first paragraph is the description. A model's mistake (arguments that do not fit,
an unknown id) goes back to it as an error result; our own bugs raise.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from ..errors import ToolError
from ..models import ImagePart, ToolCall, ToolResultMessage, ToolSpec

_MAX_PROBLEMS = 5
_MAX_PROBLEM_CHARS = 300


@dataclass(frozen=True, kw_only=True)
class ToolReply:
    """A tool's answer with images beside its text (a cell's charts)."""

    text: str
    images: tuple[ImagePart, ...] = ()


ToolFunction = Callable[..., Awaitable[str | ToolReply]]


@dataclass(frozen=True, kw_only=True)
class Tool:
    """A function the models may call: its name, description, schema and code."""

    name: str
    description: str
    parameters: dict[str, Any]
    arguments: type[BaseModel]
    function: ToolFunction

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(name=self.name, description=self.description, parameters=self.parameters)

    async def __call__(self, run: Any, call: ToolCall) -> ToolResultMessage:
        """Validate the model's arguments, run the function, and answer the call."""
        problem = self.check(call)
        if problem is not None:
            return error_result(call, problem)
        assert call.arguments is not None  # check() said so
        values = self.arguments.model_validate(call.arguments)
        try:
            reply = await self.function(run, **{k: getattr(values, k) for k in self.field_names})
        except ToolError as failure:
            return error_result(call, failure.message)
        if isinstance(reply, ToolReply):
            return ToolResultMessage(
                tool_call_id=call.id, name=call.name, content=reply.text, images=reply.images
            )
        return ToolResultMessage(tool_call_id=call.id, name=call.name, content=reply)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(self.arguments.model_fields)

    def check(self, call: ToolCall) -> str | None:
        """None if ``call``'s arguments fit; else what to tell the model."""
        if call.error is not None or call.arguments is None:
            reason = call.error or "the arguments are missing"
            return (
                f"The call to `{call.name}` was not run: {reason}. Call `{call.name}` again "
                "with a single JSON object that matches its parameter schema."
            )
        try:
            self.arguments.model_validate(call.arguments)
        except ValidationError as invalid:
            return _schema_problems(call.name, invalid)
        return None


def tool(function: ToolFunction) -> Tool:
    """Make ``function`` a tool (decorator)."""
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())[1:]  # the first one is the run
    hints = _parameter_hints(function, [p.name for p in parameters])
    fields: dict[str, Any] = {}
    for parameter in parameters:
        annotation = hints.get(parameter.name, Any)
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (annotation, default)
    model = create_model(
        f"{function.__name__}_arguments",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )
    doc = inspect.getdoc(function) or ""
    description = " ".join(doc.split("\n\n", 1)[0].split())
    return Tool(
        name=function.__name__,
        description=description,
        parameters=_inline(model.model_json_schema()),
        arguments=model,
        function=function,
    )


def _parameter_hints(function: ToolFunction, names: list[str]) -> dict[str, Any]:
    """The evaluated annotations of ``names`` only: the run's type may be imported for
    type checking alone (the tools modules sit below the modules that build runs)."""
    raw = {
        name: function.__annotations__[name] for name in names if name in function.__annotations__
    }
    holder = type("_Parameters", (), {"__annotations__": raw, "__module__": function.__module__})
    return get_type_hints(holder, globalns=function.__globals__, include_extras=True)


def error_result(call: ToolCall, text: str) -> ToolResultMessage:
    return ToolResultMessage(
        tool_call_id=call.id, name=call.name, content=f"Error: {text}", is_error=True
    )


def unknown_tool(call: ToolCall, tools: Sequence[Tool]) -> ToolResultMessage:
    known = ", ".join(sorted(t.name for t in tools))
    return error_result(call, f"Unknown tool '{call.name}'. Use: {known}.")


def as_json(value: Any) -> str:
    """Compact JSON for tool results the model reads."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


# --- schema rendering ------------------------------------------------------------------


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without ``$defs``/``$ref`` and titles: small models read it literally."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            merged = {**definitions[name], **{k: v for k, v in node.items() if k != "$ref"}}
            return resolve(merged)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {name: resolve(schema) for name, schema in value.items()}
            elif key != "title":  # pydantic's generated titles only repeat the names
                out[key] = resolve(value)
        return out

    resolved: dict[str, Any] = resolve(schema)
    resolved.setdefault("properties", {})
    return resolved


def _schema_problems(name: str, invalid: ValidationError) -> str:
    problems = []
    for error in invalid.errors(include_url=False):
        where = "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.get("loc", ())
        ).lstrip(".")
        message = error.get("msg", "invalid")
        if error.get("type") == "extra_forbidden":
            message = "not a parameter of this tool"
        if len(message) > _MAX_PROBLEM_CHARS:
            message = message[: _MAX_PROBLEM_CHARS - 1] + "…"
        problems.append(f"`{where}`: {message}" if where else message)
    if len(problems) > _MAX_PROBLEMS:
        problems = [*problems[:_MAX_PROBLEMS], f"and {len(problems) - _MAX_PROBLEMS} more"]
    return (
        f"The call to `{name}` was not run: its arguments do not match the schema: "
        + "; ".join(problems)
        + f". Call `{name}` again with corrected arguments."
    )
