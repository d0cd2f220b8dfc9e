"""The structured-output protocol: how a request asks for JSON on *this* server.

Servers differ in three ways that matter, and each is learned once and remembered per base URL
and model (`ServerTraits`), because one wasted request per call would double a local server's
queue:

- where the schema can be enforced: `json_schema` (OpenAI, vLLM, Ollama, llama.cpp's
  llama-server), `json_object` with the schema attached (llama-cpp-python's server), plain
  `json_object`, or nothing (`none`: prompt only; the reply is validated and repaired once);
- whether the chat template keeps a system message: in `user` placement the rules, the fence and
  the schema travel at the top of the first user message instead. The byte-identical prefix
  across follow-ups is kept either way (rules first, then the article, then the question);
- whether the server accepts `stream_options` (usage in streams).

`LLM_STRUCTURED_MODE=auto` steps down that ladder when the server refuses a step;
`LLM_SYSTEM_ROLE=auto` moves to `user` when the server refuses a system message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import openai
from pydantic import BaseModel

from bot.errors import LLMUnavailable
from bot.llm.structured import (
    is_json_schema_rejection,
    is_stream_options_rejection,
    schema_text,
    strict_schema,
)
from bot.prompts import PromptLibrary

log = logging.getLogger(__name__)

Mode = Literal["json_schema", "json_object", "json_object_plain", "none"]
SystemRole = Literal["system", "user"]
# The ladder `auto` walks down, strongest enforcement first.
LADDER: tuple[Mode, ...] = ("json_schema", "json_object", "json_object_plain", "none")
ROLES: tuple[SystemRole, ...] = ("system", "user")
Message = dict[str, str]

_SYSTEM_ROLE_HINTS = (
    "system role",
    "system message",
    "roles must alternate",
    "conversation roles must",
)


@dataclass(frozen=True)
class ServerTraits:
    """What one server (base URL + model) has shown it supports."""

    mode: Mode = "json_schema"
    system_role: SystemRole = "system"
    stream_usage: bool = True


class TraitsRegistry:
    """Traits learned per (base URL, model), shared by every client in the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], ServerTraits] = {}

    def get(self, key: tuple[str, str]) -> ServerTraits | None:
        with self._lock:
            return self._known.get(key)

    def put(self, key: tuple[str, str], traits: ServerTraits) -> None:
        with self._lock:
            self._known[key] = traits

    def forget(self) -> None:
        with self._lock:
            self._known.clear()


KNOWN_SERVERS = TraitsRegistry()


class Renegotiate(Exception):
    """The server refused part of the request; the traits changed, build it again."""


@dataclass
class Request:
    kwargs: dict[str, Any]
    mode: Mode
    counted: list[Message]
    system_role: SystemRole = (
        "system"  # what the budget counts (the schema included where the server adds it)
    )


class StructuredProtocol:
    """Builds requests for the current traits and learns from the server's refusals."""

    def __init__(
        self,
        *,
        key: tuple[str, str],
        structured_mode: str,
        system_role: str,
        prompts: PromptLibrary,
        redact: Callable[[str], str],
        host: str,
        registry: TraitsRegistry = KNOWN_SERVERS,
    ) -> None:
        self._key = key
        self._forced_mode: Mode | None = next((m for m in LADDER if m == structured_mode), None)
        self._forced_role: SystemRole | None = next((r for r in ROLES if r == system_role), None)
        self._prompts = prompts
        self._redact = redact
        self._host = host
        self._registry = registry

    @property
    def traits(self) -> ServerTraits:
        learned = self._registry.get(self._key) or ServerTraits()
        return replace(
            learned,
            mode=self._forced_mode or learned.mode,
            system_role=self._forced_role or learned.system_role,
        )

    def _learn(self, **changes: Any) -> None:
        learned = self._registry.get(self._key) or ServerTraits()
        self._registry.put(self._key, replace(learned, **changes))

    # --- building ---------------------------------------------------------------------------

    def build(
        self,
        schema: type[BaseModel],
        messages: list[Message],
        task: str,
        limit: int,
        limit_param: str,
    ) -> Request:
        traits = self.traits
        sent, response_format, counted = self._shape(schema, messages, task, traits)
        kwargs: dict[str, Any] = {"messages": sent, limit_param: limit}
        if response_format is not None:
            kwargs["response_format"] = response_format
        return Request(kwargs, traits.mode, counted, traits.system_role)

    def counted_messages(
        self, schema: type[BaseModel], messages: list[Message], task: str
    ) -> list[Message]:
        return self._shape(schema, messages, task, self.traits)[2]

    def _shape(
        self, schema: type[BaseModel], messages: list[Message], task: str, traits: ServerTraits
    ) -> tuple[list[Message], dict[str, Any] | None, list[Message]]:
        """(messages to send, response_format, messages to count) for these traits."""
        if traits.mode == "json_schema":
            response_format: dict[str, Any] | None = {
                "type": "json_schema",
                "json_schema": {"name": task, "strict": True, "schema": strict_schema(schema)},
            }
            sent = place_system(list(messages), traits.system_role)
            # The server turns the schema into prompt tokens too; count it.
            return (
                sent,
                response_format,
                [*sent, {"role": "system", "content": schema_text(schema)}],
            )
        instruction = self._prompts.render("json_mode", task=task, schema=schema_text(schema))
        at = next((i for i, m in enumerate(messages) if m.get("role") != "system"), 0)
        with_rules = [*messages[:at], {"role": "system", "content": instruction}, *messages[at:]]
        sent = place_system(with_rules, traits.system_role)
        if traits.mode == "json_object":
            response_format = {"type": "json_object", "schema": strict_schema(schema)}
        elif traits.mode == "json_object_plain":
            response_format = {"type": "json_object"}
        else:
            response_format = None
        return sent, response_format, sent

    def repair_messages(
        self,
        messages: list[Message],
        reply_text: str,
        task: str,
        error: str,
        schema: type[BaseModel],
    ) -> list[Message]:
        """The conversation plus the bad reply and one request to correct it. Where the server
        does not enforce the schema, the schema is repeated: the system message may be lost."""
        enforced = self.traits.mode == "json_schema"
        repair = self._prompts.render(
            "repair", task=task, error=error, schema="" if enforced else schema_text(schema)
        )
        return [
            *messages,
            {"role": "assistant", "content": reply_text},
            {"role": "user", "content": repair},
        ]

    def blank_reply(self, request: Request) -> bool:
        """A blank reply came back for `request`: if its rules travelled in a system message and
        the placement is ours to choose, move them to the user message (remembered) and say
        the call is worth repeating."""
        if self._forced_role is not None or request.system_role != "system":
            return False
        if not any(m.get("role") == "system" for m in request.kwargs["messages"]):
            return False
        self._learn(system_role="user")
        return True

    # --- learning from refusals -------------------------------------------------------------

    def rejection(
        self, exc: openai.APIStatusError, request: Request, *, stream_options: bool = False
    ) -> BaseException | None:
        """The exception to raise for a protocol refusal (Renegotiate or a forced-mode error),
        or None when `exc` is an ordinary failure for the retry policy. Judged by what this
        request sent: a parallel call may have learned the same lesson a moment earlier."""
        if stream_options and is_stream_options_rejection(exc):
            log.warning("LLM server at %s refuses stream_options; not asking again", self._host)
            self._learn(stream_usage=False)
            return Renegotiate()
        if request.system_role == "system" and is_system_role_rejection(exc):
            return self._refused_system_role(exc)
        if refuses_mode(exc, request.mode):
            return self._refused_mode(exc, request.mode)
        return None

    def _refused_system_role(self, exc: openai.APIStatusError) -> BaseException:
        note = _note(exc, self._redact)
        if self._forced_role == "system":
            log.warning("LLM server at %s rejected a system message: %s", self._host, note)
            return LLMUnavailable(
                "The language model server does not accept system messages; "
                "set LLM_SYSTEM_ROLE=user (or auto)."
            )
        if self.traits.system_role == "user":
            return Renegotiate()  # a parallel call already learned it
        log.warning(
            "LLM server at %s rejected a system message (%s); rules go in the user message now",
            self._host,
            note,
        )
        self._learn(system_role="user")
        return Renegotiate()

    def _refused_mode(self, exc: openai.APIStatusError, mode: Mode) -> BaseException:
        note = _note(exc, self._redact)
        if self._forced_mode is not None:
            log.warning("LLM server at %s rejected %s: %s", self._host, mode, note)
            return LLMUnavailable(
                f"The language model server does not support {mode} output; "
                "set LLM_STRUCTURED_MODE=auto (or a mode it supports)."
            )
        following = LADDER[LADDER.index(mode) + 1]
        if LADDER.index(self.traits.mode) >= LADDER.index(following):
            return Renegotiate()  # a parallel call already stepped down (at least) this far
        log.warning(
            "LLM server at %s rejected %s (%s); using %s from now on",
            self._host,
            mode,
            note,
            following,
        )
        self._learn(mode=following)
        return Renegotiate()


def place_system(messages: list[Message], role: SystemRole) -> list[Message]:
    """In `user` placement, fold every system message into the top of the first user message.

    System texts come first, so a follow-up still shares its prefix (rules, then the article)."""
    if role == "system":
        return messages
    system = [m["content"] for m in messages if m.get("role") == "system"]
    rest = [m for m in messages if m.get("role") != "system"]
    if not system:
        return rest
    first = next((i for i, m in enumerate(rest) if m.get("role") == "user"), None)
    if first is None:
        return [{"role": "user", "content": "\n\n".join(system)}, *rest]
    merged = {**rest[first], "content": "\n\n".join([*system, rest[first]["content"]])}
    return [*rest[:first], merged, *rest[first + 1 :]]


def _error_text(exc: openai.APIStatusError) -> str:
    return f"{exc.message} {exc.body}".lower()


def is_system_role_rejection(exc: openai.APIStatusError) -> bool:
    """A chat template that refuses system messages (e.g. "System role not supported")."""
    if exc.status_code not in (400, 422, 500):
        return False
    text = _error_text(exc)
    return any(hint in text for hint in _SYSTEM_ROLE_HINTS)


def refuses_mode(exc: openai.APIStatusError, mode: Mode) -> bool:
    """Whether this error is the server refusing the response_format of `mode`."""
    if mode == "json_schema":
        return is_json_schema_rejection(exc)
    if mode == "none" or exc.status_code not in (400, 422, 500, 501):
        return False
    text = _error_text(exc)
    if mode == "json_object":
        return "response_format" in text or "schema" in text
    return "response_format" in text or "json_object" in text


def _note(exc: openai.APIStatusError, redact: Callable[[str], str]) -> str:
    body = exc.body
    text = body.get("message") if isinstance(body, dict) else body
    return redact(" ".join(str(text or exc.message).split()))[:200]
