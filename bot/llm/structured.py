"""Structured output: strict JSON schemas from pydantic models, and reading the model's reply.

Servers differ: OpenAI (and vLLM, recent Ollama) enforce a `json_schema`; llama.cpp's server and
older ones only know `json_object`, so the schema goes into the prompt and the reply must be
checked by us. Either way the reply is validated with pydantic here, never trusted.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any, TypeVar

import jiter
import openai
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)

_FENCE_OPEN = re.compile(r"^\s*```[\w-]*[ \t]*\n?")
_FENCE_CLOSE = re.compile(r"\n?[ \t]*```\s*$")
# Maps whose values are schemas keyed by user-chosen names (a property may be called "default").
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")


class InvalidReply(Exception):
    """The reply is not valid JSON for the schema; `detail` is fed back in the repair prompt."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _strip_defaults(node: object) -> None:
    """Remove `default` keywords: strict mode forbids them and requires every property anyway."""
    if not isinstance(node, dict):
        return
    node.pop("default", None)
    for key in _SCHEMA_MAPS:
        children = node.get(key)
        if isinstance(children, dict):
            for child in children.values():
                _strip_defaults(child)
    for key in _SCHEMA_LISTS:
        children = node.get(key)
        if isinstance(children, list):
            for child in children:
                _strip_defaults(child)
    for key in ("items", "additionalProperties", "not"):
        _strip_defaults(node.get(key))


@lru_cache(maxsize=64)
def _strict_schema_cached(model: type[BaseModel]) -> dict[str, Any]:
    # openai's helper sets additionalProperties false, makes every property required and
    # inlines `$ref`s that carry siblings; it leaves non-null defaults, which the API rejects.
    schema = to_strict_json_schema(model)
    _strip_defaults(schema)
    return schema


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The strict JSON schema for `model` (a fresh copy the caller may modify)."""
    return copy.deepcopy(_strict_schema_cached(model))


def schema_text(model: type[BaseModel]) -> str:
    """The strict schema as compact JSON, for the json_object prompt."""
    return json.dumps(_strict_schema_cached(model), ensure_ascii=False, separators=(",", ":"))


def strip_fences(text: str) -> str:
    """Drop the ```json ... ``` fence some models wrap their JSON in."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = _FENCE_CLOSE.sub("", _FENCE_OPEN.sub("", stripped, count=1), count=1)
    return stripped.strip()


def _object_end(text: str, start: int) -> int | None:
    """Index just past the object opening at `start` (braces inside strings ignored)."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(text)):
        char = text[i]
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def extract_json(text: str) -> str:
    """The JSON object in a reply: fences removed, and prose before or after it cut off."""
    body = strip_fences(text)
    start = body.find("{")
    if start < 0:
        return body
    end = _object_end(body, start)
    return body[start:end] if end is not None else body[start:]


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def loosen(body: str) -> str:
    """Fix what grammar-constrained or chatty models emit: raw control characters inside
    strings are escaped and trailing commas before `}` or `]` removed. Outside strings only."""
    out: list[str] = []
    in_string, escaped = False, False
    for i, char in enumerate(body):
        if in_string:
            if ord(char) < 0x20:
                out.append(_ESCAPES.get(char, f"\\u{ord(char):04x}"))
                escaped = False
                continue
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char == "," and body[i + 1 :].lstrip()[:1] in ("}", "]"):
            continue
        out.append(char)
    return "".join(out)


def parse_reply(schema: type[T], text: str) -> T:
    """Validate a reply against the schema, or raise `InvalidReply` with a short explanation.

    Tolerated: a code fence or prose around the object, raw control characters inside strings,
    trailing commas. Anything else (missing fields, wrong types, cut-off JSON) is invalid."""
    body = extract_json(text)
    if not body:
        raise InvalidReply("the reply was empty")
    try:
        return schema.model_validate_json(body)
    except ValidationError as exc:
        if not _is_syntax_error(exc):
            raise InvalidReply(_explain(exc)) from None
    try:
        return schema.model_validate_json(loosen(body))
    except ValidationError as exc:
        raise InvalidReply(_explain(exc)) from None


def is_blank(value: BaseModel) -> bool:
    """Every field empty, false or zero: a reply written without knowing what was asked."""

    def blank(node: Any) -> bool:
        if isinstance(node, dict):
            return all(blank(v) for v in node.values())
        if isinstance(node, list):
            return not node
        return not node

    return blank(value.model_dump())


def _is_syntax_error(exc: ValidationError) -> bool:
    return any(err["type"] == "json_invalid" for err in exc.errors(include_url=False))


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def partial_object(text: str) -> dict[str, Any] | None:
    """Best-effort parse of an incomplete JSON object (trailing strings kept), else None."""
    body = _FENCE_OPEN.sub("", text.lstrip(), count=1) if text.lstrip().startswith("```") else text
    body = body.strip()
    if not body.startswith("{"):
        return None
    try:
        value = jiter.from_json(body.encode("utf-8"), partial_mode="trailing-strings")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _error_text(exc: openai.APIStatusError) -> str:
    return f"{exc.message} {exc.body}".lower()


def is_json_schema_rejection(exc: openai.APIStatusError) -> bool:
    """A server saying it doesn't do `json_schema` (llama.cpp: HTTP 500; others: 400/422)."""
    if exc.status_code not in (400, 422, 500, 501):
        return False
    text = _error_text(exc)
    return any(hint in text for hint in ("json_object", "json_schema", "response_format"))


def is_stream_options_rejection(exc: openai.APIStatusError) -> bool:
    """A server that refuses the `stream_options` field (some older OpenAI-compatible ones)."""
    return exc.status_code in (400, 422) and "stream_options" in _error_text(exc)
