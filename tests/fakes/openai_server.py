"""A fake OpenAI-compatible server: real HTTP on 127.0.0.1, for tests, benchmarks and CLI runs.

It runs an aiohttp app on its own event loop in a background thread, so async tests, sync tests
and subprocesses can all talk to it. Replies are either scripted (`script`, `script_for`) or made
by a "smart responder" that reads the article in the prompt and answers with valid, grounded JSON
(verbatim sentences, real paragraph numbers), so end-to-end runs need no scripting.

    with FakeOpenAI() as fake:
        settings = make_settings(llm_base_url=fake.base_url, llm_api_key="sk-test")
        fake.script(Reply(status=429, headers={"Retry-After": "1"}), Reply())

`profile=` makes it behave like a real server (see `PROFILES`): which response formats it takes
and with what error, whether its chat template keeps system messages, whether it honours
`stream_options`, how many requests it serves at once (the rest queue, like llama.cpp's slots).
`Reply(fault=...)` sends a broken reply at the wire level (see `FAULTS`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.fakes.background import BackgroundServer

ServerMode = Literal["json_schema", "json_object_only"]
Fault = Literal[
    "html_page",  # HTTP 200, text/html: a proxy's error page
    "json_cut_off",  # HTTP 200, application/json, the body ends mid-object
    "empty_choices",  # a completion with "choices": []
    "no_choices",  # a JSON object that is not a completion at all
    "sse_garbled_chunk",  # a `data:` line that is not JSON, mid-stream
    "sse_malformed_chunk",  # JSON, but "choices" is not a list of choices
    "sse_truncated",  # the stream ends cleanly after a few chunks: no finish_reason, no [DONE]
    "sse_connection_cut",  # the connection drops mid-stream (chunked body never terminated)
]
FAULTS: tuple[str, ...] = Fault.__args__  # type: ignore[attr-defined]

LLAMA_CPP_REJECTION = (
    "1 validation error for ChatCompletionRequest\nresponse_format.type\n  Input should be "
    "'text' or 'json_object' [type=literal_error, input_value='json_schema', input_type=str]"
)
# llama-cpp-python's server (FastAPI): its ChatCompletionRequestResponseFormat is a TypedDict with
# `type: Literal["text", "json_object"]` and an optional `schema`; the request validation error is
# caught by its RouteErrorHandler and sent as HTTP 500 {"error": {"message": str(exc), "type":
# "internal_server_error", "param": null, "code": null}} (llama_cpp/server/errors.py).
LLAMA_CPP_PYTHON_REJECTION = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
    "'ctx': {'expected': \"'text' or 'json_object'\"}}\n"
)
_HTML_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Profile:
    """How one real server family behaves, as far as the bot can tell over the wire."""

    name: str
    json_schema: bool = True  # accepts response_format json_schema and enforces it
    json_object_schema: bool = True  # enforces a `schema` attached to json_object
    keeps_system: bool = True  # the chat template keeps system messages
    stream_usage: bool = True  # honours stream_options.include_usage
    slots: int | None = None  # requests generated at once; None = unlimited
    raw_newlines: bool = False  # grammar-constrained output lets raw newlines into strings
    json_object: bool = True  # accepts response_format json_object at all
    schema_key: bool = True  # accepts (or ignores) a `schema` attached to json_object
    rejects_system: bool = False  # the template raises on a system message (llama-server jinja)
    error_shape: Literal["openai", "vllm", "llama_server", "llama_cpp_python"] = "openai"


PROFILES: dict[str, Profile] = {
    "openai": Profile("openai"),
    # vLLM: guided decoding for json_schema; errors as {"object": "error", ...} at top level.
    "vllm": Profile("vllm", error_shape="vllm"),
    # Ollama's /v1: `format` from json_schema; OpenAI-style errors.
    "ollama": Profile("ollama"),
    # llama.cpp's llama-server: json_schema and json_object+schema both become a grammar;
    # one slot (`-np 1`), so concurrent requests queue.
    "llama_server": Profile("llama_server", slots=1, error_shape="llama_server"),
    # llama-cpp-python's server with a system-less chat format (gemma): refuses json_schema,
    # enforces json_object+schema, drops system messages, ignores stream_options, one model lock.
    "llama_cpp_python": Profile(
        "llama_cpp_python",
        json_schema=False,
        keeps_system=False,
        stream_usage=False,
        slots=1,
        raw_newlines=True,
        error_shape="llama_cpp_python",
    ),
}

_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to use this model.", "invalid_request_error", None),
    404: (
        "The model does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
}


@dataclass
class Reply:
    """One scripted answer. `content=None` lets the smart responder write the content."""

    content: str | dict[str, Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    # (prompt, completion, cached), or (prompt, completion) to omit prompt_tokens_details.
    usage: tuple[int, ...] | None = None
    error_message: str | None = None
    error_code: str | None = None  # e.g. "insufficient_quota" (defaults depend on the status)
    stall: bool = False  # never answer (until the server stops): for timeout tests
    refusal: str | None = None
    chunk_delay: float | None = None  # per streamed chunk; None = the server's default
    stall_after_chunks: int | None = None  # streaming: send this many chunks, then hang
    fault: Fault | None = None  # a broken reply at the wire level (see `Fault`)


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    task: str | None = None
    at: float = field(default_factory=time.monotonic)  # arrival, comparable with other fakes


class FakeOpenAI(BackgroundServer):
    """Context manager running the fake server; see the module docstring."""

    thread_name = "fake-openai"

    def __init__(
        self,
        *,
        mode: ServerMode = "json_schema",
        model: str = "fake-model",
        chunk_size: int = 12,
        chunk_delay: float = 0.0,
        reject_stream_options: bool = False,
        keep_requests: bool = True,  # False for long load runs: the log would grow unbounded
        profile: str | Profile | None = None,
    ) -> None:
        super().__init__()
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        if self.profile is not None and not self.profile.json_schema:
            mode = "json_object_only"
        if self.profile is not None and not self.profile.stream_usage:
            reject_stream_options = False  # ignored, not refused
        self.mode: ServerMode = mode
        self.model = model
        self.chunk_size = chunk_size
        self.chunk_delay = chunk_delay
        self.reject_stream_options = reject_stream_options
        self.keep_requests = keep_requests
        self.request_count = 0
        self.requests: list[ReceivedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._queue: collections.deque[Reply] = collections.deque()
        self._task_queues: dict[str, collections.deque[Reply]] = {}
        self._release: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._ids = 0
        # Requests whose client went away before the reply was complete (generation stopped).
        self.abandoned = 0

    # --- control (test thread) ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next chat requests, in order (after per-task scripts)."""
        with self._lock:
            self._queue.extend(replies)

    def script_for(self, task: str, *replies: Reply) -> None:
        """Queue replies for requests whose schema name is `task`."""
        with self._lock:
            self._task_queues.setdefault(task, collections.deque()).extend(replies)

    # --- server (its own loop) ----------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)

    async def on_start(self) -> None:
        self._release = asyncio.Event()
        if self.profile is not None and self.profile.slots:
            self._slots = asyncio.Semaphore(self.profile.slots)

    async def on_stop(self) -> None:
        assert self._release is not None
        self._release.set()  # stalled replies end now

    async def _wait(self, seconds: float) -> None:
        """Sleep, but wake up early when the server stops."""
        assert self._release is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), timeout=seconds)

    async def _models(self, request: web.Request) -> web.Response:
        self.requests.append(ReceivedRequest("GET", request.path, dict(request.headers), None))
        model = {"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}
        return web.json_response({"object": "list", "data": [model]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Request body is not valid JSON.", "invalid_request_error")
        task = find_task(body)
        self.request_count += 1
        if self.keep_requests:
            self.requests.append(
                ReceivedRequest("POST", request.path, dict(request.headers), body, task)
            )
        async with self._slots if self._slots is not None else contextlib.nullcontext():
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await self._answer(request, body, task)
            finally:
                with self._lock:
                    self.in_flight -= 1

    def _next_reply(self, task: str | None) -> Reply:
        with self._lock:
            queue = self._task_queues.get(task or "")
            if queue:
                return queue.popleft()
            if self._queue:
                return self._queue.popleft()
        return Reply()

    async def _answer(
        self, request: web.Request, body: dict[str, Any], task: str | None
    ) -> web.StreamResponse:
        # Validate the request before consuming a scripted reply, like a real server.
        refused = self._refusal(body)
        if refused is not None:
            return refused
        reply = self._next_reply(task)
        if reply.stall:
            assert self._release is not None
            await self._release.wait()
            return _error(503, "Server shutting down.", "server_error")
        if reply.delay and not await self._generate(request, reply.delay):
            return web.Response(status=499)  # nobody is listening any more
        if reply.status != 200:
            message, kind, code = _DEFAULT_ERRORS.get(
                reply.status,
                ("The server had an error while processing your request.", "server_error", None),
            )
            return _error(
                reply.status,
                reply.error_message or message,
                kind,
                reply.error_code or code,
                reply.headers,
            )
        content = "" if reply.refusal else self._content(body, task, reply)
        if reply.usage is not None:
            usage = reply.usage
        else:
            usage = (_rough_tokens(_all_text(body)), _rough_tokens(content), 0)
        self._ids += 1
        head = {
            "id": f"chatcmpl-fake-{self._ids}",
            "created": int(time.time()),
            "model": body.get("model", self.model),
        }
        if body.get("stream"):
            return await self._stream(request, body, head, content, reply, usage)
        if reply.fault is not None and not reply.fault.startswith("sse_"):
            return _broken_completion(reply.fault, head)
        message = {
            "role": "assistant",
            "content": None if reply.refusal else content,
            "refusal": reply.refusal,
        }
        completion = {
            **head,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": _usage(usage),
        }
        return web.json_response(completion, headers=reply.headers)

    def _refusal(self, body: dict[str, Any]) -> web.Response | None:
        """The error a real server gives for a request it does not accept, if any."""
        response_format = body.get("response_format") or {}
        if self.mode == "json_object_only" and response_format.get("type") == "json_schema":
            if self.profile is not None and self.profile.error_shape == "llama_cpp_python":
                return _error(500, LLAMA_CPP_PYTHON_REJECTION, "internal_server_error")
            return _error(500, LLAMA_CPP_REJECTION, "server_error", code=500)
        profile = self.profile
        if profile is not None:
            refused = _profile_refusal(profile, body)
            if refused is not None:
                return refused
        if body.get("stream") and "stream_options" in body and self.reject_stream_options:
            return _error(
                400,
                "Unrecognized request argument supplied: stream_options",
                "invalid_request_error",
            )
        return None

    def _content(self, body: dict[str, Any], task: str | None, reply: Reply) -> str:
        if isinstance(reply.content, dict):
            return json.dumps(reply.content)
        if isinstance(reply.content, str):
            return reply.content
        seen = self._as_the_model_sees_it(body)
        content = smart_reply(seen, find_task(seen))
        if self.profile is not None and self.profile.raw_newlines:
            # The grammar lets a raw newline into a string, and small models like writing one.
            content = _raw_newline_in_prose(content)
        return content

    def _as_the_model_sees_it(self, body: dict[str, Any]) -> dict[str, Any]:
        """The request after the chat template: a template without a system role drops them."""
        if self.profile is None or self.profile.keeps_system:
            return body
        kept = [m for m in body.get("messages") or [] if m.get("role") != "system"]
        return {**body, "messages": kept}

    async def _generate(self, request: web.Request, seconds: float) -> bool:
        """Spend `seconds` generating; stop early (and return False) if the client goes away."""
        step = 0.02
        waited = 0.0
        while waited < seconds:
            transport = request.transport
            if transport is None or transport.is_closing():
                self.abandoned += 1
                return False
            await self._wait(min(step, seconds - waited))
            waited += step
        return True

    async def _stream(
        self,
        request: web.Request,
        body: dict[str, Any],
        head: dict[str, Any],
        content: str,
        reply: Reply,
        usage: tuple[int, ...],
    ) -> web.StreamResponse:
        headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        if reply.fault in ("html_page", "json_cut_off", "empty_choices", "no_choices"):
            return _broken_completion(reply.fault, head)
        response = web.StreamResponse(status=200, headers={**headers, **reply.headers})
        await response.prepare(request)
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if self.profile is not None and not self.profile.stream_usage:
            with_usage = False  # llama-cpp-python ignores stream_options
        delay = self.chunk_delay if reply.chunk_delay is None else reply.chunk_delay
        events = _stream_events(head, content, reply, usage, self.chunk_size, with_usage)
        try:
            for sent, event in enumerate(events):
                if reply.stall_after_chunks is not None and sent >= reply.stall_after_chunks:
                    await self._wait(3600)  # until the server stops: a mid-stream hang
                if delay and not await self._generate(request, delay):
                    return response
                if reply.fault is not None and sent == 3:
                    return await _break_stream(response, reply.fault, request)
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            self.abandoned += 1  # the client went away (e.g. it timed out or was cancelled)
        return response


def _profile_refusal(profile: Profile, body: dict[str, Any]) -> web.Response | None:
    """What stricter or older servers refuse (checked after the json_schema refusal)."""
    response_format = body.get("response_format") or {}
    kind = response_format.get("type")
    if kind == "json_object" and not profile.json_object:
        return _shaped_error(
            profile, 400, "response_format: 'json_object' is not supported by this server"
        )
    if kind == "json_object" and "schema" in response_format and not profile.schema_key:
        return _shaped_error(
            profile, 400, "Unrecognized request argument supplied: response_format.schema"
        )
    roles = {m.get("role") for m in body.get("messages") or []}
    if profile.rejects_system and "system" in roles:
        # llama-server with --jinja and a template that raises (gemma's): HTTP 500.
        return _shaped_error(profile, 500, "System role not supported")
    return None


def _shaped_error(profile: Profile, status: int, message: str) -> web.Response:
    """An error body in the shape this server family uses."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    if profile.error_shape == "vllm":
        payload: dict[str, Any] = {
            "object": "error",
            "message": message,
            "type": "BadRequestError" if status < 500 else "InternalServerError",
            "param": None,
            "code": status,
        }
        return web.json_response(payload, status=status)
    if profile.error_shape == "llama_server":
        return web.json_response(
            {"error": {"code": status, "message": message, "type": kind}}, status=status
        )
    if profile.error_shape == "llama_cpp_python":
        kind = "internal_server_error"
        status = 500  # its RouteErrorHandler sends every unexpected error as 500
    return _error(status, message, kind)


def _stream_events(
    head: dict[str, Any],
    content: str,
    reply: Reply,
    usage: tuple[int, ...],
    chunk_size: int,
    with_usage: bool,
) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            **head,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if with_usage:
            data["usage"] = None
        return data

    events = [chunk({"role": "assistant", "content": ""})]
    events += [
        chunk({"content": content[i : i + chunk_size]}) for i in range(0, len(content), chunk_size)
    ]
    if reply.refusal:
        events.append(chunk({"refusal": reply.refusal}))
    events.append(chunk({}, reply.finish_reason))
    if with_usage:
        events.append(
            {**head, "object": "chat.completion.chunk", "choices": [], "usage": _usage(usage)}
        )
    return events


async def _break_stream(
    response: web.StreamResponse, fault: str, request: web.Request
) -> web.StreamResponse:
    """Mid-stream faults, after a few good chunks."""
    if fault == "sse_garbled_chunk":
        await response.write(b'data: {"id": "chatcmpl-x", "choices": [{"delta": {"cont\n\n')
    elif fault == "sse_malformed_chunk":
        await response.write(b'data: {"id": "chatcmpl-x", "choices": "overloaded"}\n\n')
    elif fault == "sse_connection_cut":
        if request.transport is not None:
            request.transport.close()  # chunked body never terminated
        return response
    # sse_truncated, and after the broken chunk: the server ends the body, no finish, no [DONE].
    await response.write_eof()
    return response


def _broken_completion(fault: str, head: dict[str, Any]) -> web.Response:
    """Non-streamed faults: HTTP 200 bodies that are not a well-formed completion."""
    if fault == "html_page":
        return web.Response(status=200, text=_HTML_PAGE, content_type="text/html")
    if fault == "json_cut_off":
        whole = json.dumps({**head, "object": "chat.completion", "choices": []})
        return web.Response(
            status=200, text=whole[: len(whole) // 2], content_type="application/json"
        )
    if fault == "empty_choices":
        return web.json_response({**head, "object": "chat.completion", "choices": []})
    return web.json_response({"status": "ok", "detail": "queued"})  # no_choices


def _raw_newline_in_prose(content: str) -> str:
    """Break the first sentence-like string value with a raw newline (invalid strict JSON)."""
    try:
        value = json.loads(content)
    except ValueError:
        return content

    def first_prose(node: Any) -> bool:
        if isinstance(node, dict):
            for key, item in node.items():
                if isinstance(item, str) and len(item.split()) >= 5:
                    node[key] = item.replace(" ", "\n", 1)
                    return True
                if first_prose(item):
                    return True
        elif isinstance(node, list):
            return any(first_prose(item) for item in node)
        return False

    if not first_prose(value):
        return content
    return json.dumps(value, ensure_ascii=False).replace("\\n", "\n", 1)


def _error(
    status: int,
    message: str,
    kind: str,
    code: str | int | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    payload = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(payload, status=status, headers=headers or {})


def _usage(usage: tuple[int, ...]) -> dict[str, Any]:
    prompt, completion = usage[0], usage[1]
    data: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if len(usage) > 2:
        data["prompt_tokens_details"] = {"cached_tokens": usage[2]}
    return data


def _rough_tokens(text: str) -> int:
    return max(1, len(text) // 4)


# --- reading the request -----------------------------------------------------------------------

_SCHEMA_NAME = re.compile(r"^Schema name:[ \t]*(\S+)[ \t]*$", re.MULTILINE)


def _text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def _all_text(body: dict[str, Any]) -> str:
    return "\n".join(_text_of(m) for m in body.get("messages") or [])


def _instruction_texts(body: dict[str, Any]) -> list[str]:
    """Where the client may put the JSON instruction: system messages, or the first user
    message when the rules travel there (LLM_SYSTEM_ROLE=user)."""
    messages = body.get("messages") or []
    texts = [_text_of(m) for m in messages if m.get("role") == "system"]
    first_user = next((m for m in messages if m.get("role") == "user"), None)
    return texts + ([_text_of(first_user)] if first_user is not None else [])


def find_task(body: dict[str, Any]) -> str | None:
    """The schema name: from `response_format.json_schema`, or a `Schema name:` system line."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        name = (response_format.get("json_schema") or {}).get("name")
        if name:
            return str(name)
    for text in _instruction_texts(body):
        match = _SCHEMA_NAME.search(text)
        if match:
            return match.group(1)
    return None


def find_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema the client asked for, from either place it may be."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else None
    if isinstance(response_format.get("schema"), dict):  # json_object + schema (llama.cpp)
        return response_format["schema"]
    for text in _instruction_texts(body):
        match = _SCHEMA_NAME.search(text)
        if match:
            try:
                schema, _ = json.JSONDecoder().raw_decode(text[match.end() :].lstrip())
            except ValueError:
                return None
            return schema if isinstance(schema, dict) else None
    return None


# --- the smart responder -----------------------------------------------------------------------

_ARTICLE = re.compile(r"^<article>[ \t]*$(.*?)^</article>[ \t]*$", re.MULTILINE | re.DOTALL)
_PARAGRAPH = re.compile(r"^\[(\d+)\][ \t]?(.*\S)[ \t]*$", re.MULTILINE)
_NOTE = re.compile(r"^- \[([\d,\s]*)\][ \t]+(.*\S)[ \t]*$", re.MULTILINE)
_QUESTION = re.compile(r"^Question:[ \t]*(.*\S)[ \t]*$", re.MULTILINE)
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
_NAME = re.compile(
    r"(?=\b([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)[ \t]([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)\b)"
)


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and edit than a long literal)."""
    return frozenset(text.split())


_ABBREVIATIONS = _words(
    "mr mrs ms dr prof st jr sr gen col lt sgt gov sen rep inc ltd co corp vs etc no u.s u.k "
    "e.g i.e jan feb mar apr jun jul aug sep sept oct nov dec"
)
_STOPWORDS = _words(
    """the and for are was were what who whom when where why how which that this these those with
    from into about did does has have had not but its his her their they them there then than
    will would could should can said say says been being also any all our out you your she him
    after before over under more most some such only other article according between while
    during just very like make made one two new many much still because whether whose upon onto
    per via yet ever is it in on at to of by as an or be if do so up we he me my no us"""
)
_NOT_NAME_START = _words(
    """The A An In On At But And As If For This That These Those When While After Before Since
    During It Its He She They We Our Their His Her There Here What Who Why How Where Which Yet
    Or Nor So Then Than Though Although Because Despite From To With Without By Of Under Over
    Last Next Every Each Some Many Most All Both Such Also Still However Meanwhile"""
)
_CALENDAR = _words(
    """January February March April May June July August September October November December
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday"""
)
_ORG_WORDS = _words(
    """Ministry Party Council Bank Company Corporation Group Union Agency Organisation
    Organization Institute University Committee Commission Department Office Times News Post
    Journal Press Association Federation Court Parliament Congress Senate Army Navy Forces Fund
    Foundation Reuters Assembly Board Bureau Service Network Airlines Motors Holdings Energy
    Gazette Media Systems Technologies Labs"""
)
_PLACE_WORDS = _words("Port Mount Lake Fort Cape Saint River Island Bay Point Street Square")
_COUNTRIES = frozenset(
    """United States|United Kingdom|South Korea|North Korea|Saudi Arabia|New Zealand|South Africa
    |Sri Lanka|Costa Rica|Hong Kong|Czech Republic|El Salvador|Puerto Rico|Soviet Union|South Sudan
    |United Arab|Ivory Coast""".replace("\n", "").split("|")
)
_GENERIC_NAME_WORDS = _words("United New South North East West National General")


def sentence_spans(text: str) -> list[str]:
    """Sentences as exact substrings of `text` (abbreviations like "Mr." don't end one)."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        before = text[start : match.start()].split()
        last_word = before[-1].lower().rstrip(".") if before else ""
        following = text[end:].lstrip()[:1]
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        if following and following.islower():
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def content_words(text: str) -> set[str]:
    words = set()
    for word in _WORD.findall(text.lower()):
        if len(word) < 3 or word in _STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return words


def parse_article(text: str) -> list[tuple[int, str]]:
    """Numbered paragraphs from every `<article>` block in the text."""
    paragraphs: list[tuple[int, str]] = []
    for block in _ARTICLE.finditer(text):
        paragraphs += [(int(n), p) for n, p in _PARAGRAPH.findall(block.group(1))]
    return paragraphs


def parse_notes(text: str) -> list[tuple[list[int], str]]:
    notes = []
    for numbers, note in _NOTE.findall(text):
        notes.append(([int(n) for n in re.findall(r"\d+", numbers)], note))
    return notes


def _summary(paragraphs: list[tuple[int, str]], notes: list[tuple[list[int], str]]) -> dict:
    if not paragraphs:
        bullets = [{"text": t, "paragraphs": ns} for ns, t in notes[:5]]
        tldr = notes[0][1] if notes else "No article text was provided."
        return {"tldr": tldr, "bullets": bullets}
    bullets = []
    for number, text in paragraphs[:5]:
        first = sentence_spans(text)
        if first:
            bullets.append({"text": first[0], "paragraphs": [number]})
    if len(bullets) < 3:  # short article: use further sentences
        extra = [(n, s) for n, t in paragraphs[:5] for s in sentence_spans(t)[1:]]
        for number, sentence in extra[: 3 - len(bullets)]:
            bullets.append({"text": sentence, "paragraphs": [number]})
    return {"tldr": bullets[0]["text"] if bullets else "", "bullets": bullets}


def _kind(name: str) -> str:
    last = name.split()[-1]
    if name in _COUNTRIES:
        return "country"
    if last in _ORG_WORDS:
        return "organisation"
    if set(name.split()) & _PLACE_WORDS:
        return "other"
    return "person"


def _actors(paragraphs: list[tuple[int, str]], limit: int = 6) -> list[dict]:
    counts: collections.Counter[str] = collections.Counter()
    for _, text in paragraphs:
        for first, second in _NAME.findall(text):
            if first in _NOT_NAME_START or first in _CALENDAR or second in _CALENDAR:
                continue
            counts[f"{first} {second}"] += 1
    # Recurring names first; single mentions (in order of appearance) only to reach three.
    ranked = [n for n, c in counts.most_common() if c >= 2]
    ranked += [n for n, c in counts.items() if c == 1][: max(0, 3 - len(ranked))]
    chosen: list[str] = []
    seen_words: set[str] = set()
    for name in ranked:
        words = set(name.split()) - _GENERIC_NAME_WORDS
        if words & seen_words:
            continue
        chosen.append(name)
        seen_words |= words
        if len(chosen) == limit:
            break
    actors = []
    for name in chosen:
        hits = [(n, s) for n, t in paragraphs for s in sentence_spans(t) if name in s]
        if not hits:
            continue
        number, sentence = hits[0]
        cited = sorted({n for n, _ in hits})
        actors.append(
            {
                "name": name,
                "kind": _kind(name),
                "role": f"Named in paragraph{'s' if len(cited) > 1 else ''} "
                + ", ".join(str(n) for n in cited),
                "did": sentence,
                "quotes": [{"text": sentence, "paragraph": number}],
            }
        )
    return actors


def _answer(paragraphs: list[tuple[int, str]], question: str) -> dict:
    unknown = {"quotes": [], "answerable": False, "answer": "The article doesn't say."}
    wanted = content_words(question)
    if not paragraphs or not wanted:
        return unknown
    number, text = max(paragraphs, key=lambda p: (len(wanted & content_words(p[1])), -p[0]))
    if len(wanted & content_words(text)) < 2:
        return unknown
    sentences = sentence_spans(text)
    best = max(range(len(sentences)), key=lambda i: (len(wanted & content_words(sentences[i])), -i))
    sentence = sentences[best]
    return {
        "quotes": [{"text": sentence, "paragraph": number}],
        "answerable": True,
        "answer": sentence,
    }


def _chunk_notes(paragraphs: list[tuple[int, str]]) -> dict:
    points = []
    for number, text in paragraphs[:8]:
        sentences = sentence_spans(text)
        if sentences:
            points.append({"text": sentences[0], "paragraphs": [number]})
    return {"points": points, "actors": _actors(paragraphs)}


def smart_reply(body: dict[str, Any], task: str | None = None) -> str:
    """Valid, article-grounded JSON for the request's task (see the module docstring)."""
    task = task or find_task(body)
    user_text = "\n\n".join(
        _text_of(m) for m in body.get("messages") or [] if m.get("role") == "user"
    )
    paragraphs = parse_article(user_text)
    schema = find_schema(body)
    value: Any
    if task == "summary":
        value = _summary(paragraphs, [] if paragraphs else parse_notes(user_text))
    elif task == "actors":
        value = {"actors": _actors(paragraphs)}
    elif task == "answer":
        after = user_text[user_text.rfind("</article>") :] if paragraphs else user_text
        questions = _QUESTION.findall(after)
        value = _answer(paragraphs, questions[-1] if questions else "")
    elif task == "chunk_notes":
        value = _chunk_notes(paragraphs)
    else:
        value = minimal_instance(schema or {}, schema or {})
        return json.dumps(value)
    if schema:
        value = conform(value, schema, schema)
    return json.dumps(value, ensure_ascii=False)


# --- schema helpers ----------------------------------------------------------------------------


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node if isinstance(node, dict) else {}


def minimal_instance(node: dict[str, Any], root: dict[str, Any]) -> Any:
    """The smallest value that validates against a (strict-style) JSON schema."""
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if node.get(key):
            variants = [_resolve(v, root) for v in node[key]]
            if any(v.get("type") == "null" for v in variants):
                return None
            return minimal_instance(variants[0], root)
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    kind = node.get("type")
    if isinstance(kind, list):
        kind = "null" if "null" in kind else (kind[0] if kind else None)
    if kind == "object" or "properties" in node:
        props = node.get("properties") or {}
        return {k: minimal_instance(v, root) for k, v in props.items()}
    if kind == "array":
        count = int(node.get("minItems", 0))
        return [minimal_instance(node.get("items") or {}, root) for _ in range(count)]
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(str(kind))


def conform(value: Any, node: dict[str, Any], root: dict[str, Any]) -> Any:
    """Fit a smart reply to the schema actually sent: drop unknown keys, fill missing ones."""
    node = _resolve(node, root)
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(value, dict):
        return {
            key: conform(value[key], sub, root) if key in value else minimal_instance(sub, root)
            for key, sub in props.items()
        }
    items = node.get("items")
    if isinstance(items, dict) and isinstance(value, list):
        return [conform(v, items, root) for v in value]
    if node.get("enum") and value not in node["enum"]:
        return node["enum"][0]
    return value
