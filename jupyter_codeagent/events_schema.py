"""The JSON Schema of the session events, which the frontend's types are generated from.

``python -m jupyter_codeagent.events_schema labextension/events.schema.json`` writes it;
``jlpm build:events`` turns it into ``labextension/src/generated/events.ts``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from typing import Any

from .events import EVENT_TYPES, Event

_ENVELOPE = {
    "seq": {"type": "integer", "description": "1, 2, 3... per session"},
    "ts": {"type": "number", "description": "seconds since the epoch"},
}


def _interface_name(cls: type) -> str:
    """``cell_proposed`` → ``ICellProposedEvent``: the frontend names events by wire type."""
    if issubclass(cls, Event):
        return "I" + "".join(part.title() for part in cls.type.split("_")) + "Event"
    return f"I{cls.__name__}"


def json_schema() -> dict[str, Any]:
    """One schema with a definition per event (envelope included) and their union."""
    from pydantic import TypeAdapter  # only the schema export needs pydantic

    definitions: dict[str, Any] = {}
    for cls in EVENT_TYPES:
        schema = TypeAdapter(cls).json_schema(ref_template="#/definitions/{model}")
        for name, nested in schema.pop("$defs", {}).items():
            nested = _tidy(nested)
            # Nested values are sent whole, nulls included: every field is there.
            nested["required"] = list(nested.get("properties", {}))
            definitions[f"I{name}"] = nested
        schema = _tidy(schema)
        schema["properties"] = {
            "type": {"const": cls.type, "type": "string"},
            **_ENVELOPE,
            **schema.get("properties", {}),
        }
        # Only fields that default to None are left out of the JSON: the rest are required.
        sent = [f.name for f in fields(cls) if f.default is not None]
        schema["required"] = ["type", *_ENVELOPE, *sent]
        schema["title"] = _interface_name(cls)
        schema["description"] = _first_line(cls)
        definitions[_interface_name(cls)] = schema
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "SessionEvent",
        "description": "A session event as the events WebSocket sends it (generated file).",
        "oneOf": [{"$ref": f"#/definitions/{_interface_name(cls)}"} for cls in EVENT_TYPES],
        "definitions": dict(sorted(definitions.items())),
    }


def _first_line(cls: type[Event]) -> str:
    doc = cls.__doc__ or ""
    if doc.startswith(f"{cls.__name__}("):  # the signature dataclasses write when none is given
        doc = ""
    return doc.strip().split("\n")[0] or f"The `{cls.type}` event."


def _tidy(schema: Any) -> Any:
    """Closed objects, ``I``-prefixed references, no pydantic noise."""
    if isinstance(schema, list):
        return [_tidy(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            prefix, _, name = value.rpartition("/")
            out[key] = f"{prefix}/I{name}"
        elif key == "title" and isinstance(value, str) and "properties" not in schema:
            continue  # field titles: the generator would turn them into type aliases
        elif key == "default" and value is None:
            continue
        else:
            out[key] = _tidy(value)
    if out.get("type") == "object" and "properties" in out:
        out["additionalProperties"] = False
        out["title"] = f"I{out['title']}" if "title" in out else out.get("title")
        if out["title"] is None:
            del out["title"]
    return out


def main() -> None:
    """``python -m jupyter_codeagent.events_schema [PATH]``: write the schema (default: stdout)."""
    text = json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
