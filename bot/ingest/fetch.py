"""Download a user's link without letting it reach internal machines (SSRF guard).

Each hop is: parse the URL, resolve the host once (IP literals in any spelling are parsed by
`addresses`, never by the resolver), refuse if *any* address is forbidden, then connect to the
checked IP itself, sending the original Host header and using the hostname for TLS SNI and
certificate checks. Nothing resolves the name a second time, so DNS rebinding has no window.
Redirects are followed by hand so that every hop goes through the same checks.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from email.message import Message
from types import TracebackType
from urllib.parse import urlsplit

import certifi
import httpx2

from bot.errors import (
    BadInput,
    BlockedAddress,
    FetchFailed,
    NoArticleText,
    TooLarge,
    UnsupportedContent,
)
from bot.ingest import addresses
from bot.ingest.addresses import IPAddress
from bot.ingest.sniff import SNIFF_BYTES, sniff_type
from bot.settings_groups import FetchSettings

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
ARTICLE_TYPES: frozenset[str] = HTML_TYPES | TEXT_TYPES | PDF_TYPES

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_ACCEPT = (
    "text/html,application/xhtml+xml,text/plain;q=0.9,text/markdown;q=0.9,"
    "application/pdf;q=0.8,*/*;q=0.5"
)
_ACCEPT_LANGUAGE = "en-US,en;q=0.9,*;q=0.5"


def _accept_encoding() -> str:
    """The encodings httpx2 can decode here (brotli and zstd only when their packages exist)."""
    codings = ["gzip", "deflate"]
    if importlib.util.find_spec("brotli") or importlib.util.find_spec("brotlicffi"):
        codings.append("br")
    if importlib.util.find_spec("zstandard"):
        codings.append("zstd")
    return ", ".join(codings)


_ACCEPT_ENCODING = _accept_encoding()
# Headers the caller may not set: we decide where the request goes and what it looks like.
_RESERVED_HEADERS = frozenset({"host", "cookie", "content-length", "transfer-encoding"})

_MSG_BLOCKED = "That link points to an address that is not allowed."
_MSG_TIMEOUT = "The site did not answer in time."
_MSG_INVALID = "That link is not a valid web address."


@dataclass(frozen=True)
class FetchedDocument:
    url: str
    final_url: str
    status: int
    content_type: str  # lower-case mime without parameters, e.g. "text/html"
    charset: str | None  # from the Content-Type header, if any
    body: bytes


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the OS (getaddrinfo in a thread), keeping the system's address order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))


def parse_content_type(header: str | None) -> tuple[str, str | None]:
    """("text/html", "utf-8") from "Text/HTML; charset=UTF-8"; ("", None) when absent."""
    if not header:
        return "", None
    message = Message()
    message["content-type"] = header
    mime = message.get_content_type() if "/" in header.split(";", 1)[0] else ""
    charset = message.get_param("charset")
    return mime.lower(), (str(charset).strip().lower() or None) if charset else None


def describe_type(mime: str) -> str:
    """A phrase a Slack user understands: "an image", "a ZIP archive", "a video"..."""
    family = mime.split("/", 1)[0]
    if family == "image":
        return "an image"
    if family == "video":
        return "a video"
    if family == "audio":
        return "an audio file"
    if mime in {"application/zip", "application/x-zip-compressed"}:
        return "a ZIP archive"
    if mime in {
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/vnd.rar",
        "application/x-bzip2",
    }:
        return "a compressed archive"
    if mime in {"application/json", "text/json"} or mime.endswith("+json"):
        return "JSON data"
    if mime in {"text/css", "text/javascript", "application/javascript"}:
        return "code, not a page"
    if mime == "application/octet-stream":
        return "a binary file"
    return f"a file of type {mime}"


def _http_error(status: int) -> FetchFailed:
    if status in (401, 403, 451):
        return FetchFailed(
            f"The site refused access (HTTP {status}); it may need a login or subscription.",
            paste_hint=True,
        )
    if status == 404 or status == 410:
        return FetchFailed(f"The page was not found (HTTP {status}).")
    if status == 429:
        return FetchFailed("The site is limiting requests (HTTP 429); try again later.")
    if status >= 500:
        return FetchFailed(f"The site had an error (HTTP {status}); try again later.")
    return FetchFailed(f"The site answered with an error (HTTP {status}).")


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


class SafeFetcher:
    """Fetch article URLs safely; one instance can serve many concurrent fetches."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        resolver: Resolver | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._resolver = resolver or system_resolver
        self._allowed = settings.allowed_networks
        self._timeout = httpx2.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        )
        # A hard ceiling for a whole fetch (all hops), so a server trickling one byte per
        # read-timeout cannot hold a worker for ever.
        self._deadline = settings.connect_timeout + 4 * settings.read_timeout
        if transport is None:
            # No keep-alive: a pooled connection is keyed by IP, and must not be reused for
            # another hostname whose certificate it was never checked against.
            # Mozilla's CA list (certifi), as before: the same sites verify on every host,
            # whatever its own trust store holds (httpx2 would use the system's by default).
            transport = httpx2.AsyncHTTPTransport(
                verify=ssl.create_default_context(cafile=certifi.where()),
                retries=0,
                limits=httpx2.Limits(max_keepalive_connections=0),
            )
        # The transport, not an AsyncClient: the client would parse every Location header
        # (crashing on odd ones), keep cookies keyed by IP, and read proxies from the
        # environment. We do redirects, cookies and addressing ourselves.
        self._transport = transport
        self._base_headers = {
            "User-Agent": settings.user_agent,
            "Accept": _ACCEPT,
            "Accept-Language": _ACCEPT_LANGUAGE,
            "Accept-Encoding": _ACCEPT_ENCODING,
        }

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        accept: Collection[str] = ARTICLE_TYPES,
    ) -> FetchedDocument:
        """Download `url` (following safe redirects) and return its body.

        Raises BadInput subclasses with a one-sentence user message: BlockedAddress,
        FetchFailed, TooLarge, UnsupportedContent, NoArticleText (empty body).
        """
        current = _parse_url(url)
        extra = {k: v for k, v in (headers or {}).items() if k.lower() not in _RESERVED_HEADERS}
        jar = httpx2.Cookies()
        try:
            async with asyncio.timeout(self._deadline):
                for hop in range(self._settings.max_redirects + 1):
                    ips = await self._check(current)
                    response = await self._send(current, ips, extra, jar)
                    try:
                        location = response.headers.get("location")
                        if response.status_code in _REDIRECTS and location:
                            if hop == self._settings.max_redirects:
                                raise FetchFailed("The link redirected too many times.")
                            following = _parse_redirect(current, location)
                            if _origin(following) != _origin(current):
                                extra = {}  # never forward credentials to another origin
                            current = following
                            continue
                        return await self._read(url, current, response, accept)
                    finally:
                        await response.aclose()
        except TimeoutError:
            raise FetchFailed(_MSG_TIMEOUT) from None
        raise FetchFailed("The link redirected too many times.")  # pragma: no cover

    # -- one hop ----------------------------------------------------------------------------------

    async def _check(self, url: httpx2.URL) -> list[IPAddress]:
        """Every address the host stands for, all checked; raises BlockedAddress."""
        host = url.raw_host.decode("ascii")
        literal = _literal(host)
        if literal is not None:
            ips = [literal]
        else:
            port = url.port or _DEFAULT_PORTS[url.scheme]
            ips = await self._resolve(host, port)
        for ip in ips:
            reason = addresses.forbidden_reason(ip, self._allowed)
            if reason is not None:
                log.warning("fetch blocked: host %r -> %s address", host, reason)
                raise BlockedAddress(_MSG_BLOCKED)
        return list(dict.fromkeys(addresses.canonical(ip) for ip in ips))

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            async with asyncio.timeout(self._settings.connect_timeout):
                found = await self._resolver(host, port)
        except TimeoutError:
            raise FetchFailed(_MSG_TIMEOUT) from None
        except OSError as exc:
            log.info("fetch: cannot resolve %r: %s", host, exc)
            raise FetchFailed("The site's address could not be found.") from None
        ips: list[IPAddress] = []
        for text in found:
            try:
                ip = addresses.parse_ipv6(text) or addresses.parse_ipv4(text)
            except addresses.InvalidHost:
                ip = None
            if ip is None:
                # A resolver answer we cannot read is treated like a forbidden one.
                log.warning("fetch blocked: resolver returned %r for %r", text, host)
                raise BlockedAddress(_MSG_BLOCKED)
            ips.append(ip)
        if not ips:
            raise FetchFailed("The site's address could not be found.")
        return ips

    async def _send(
        self, url: httpx2.URL, ips: list[IPAddress], extra: Mapping[str, str], jar: httpx2.Cookies
    ) -> httpx2.Response:
        """Connect to the checked IPs in order (never the hostname) until one answers."""
        headers = {**self._base_headers, **extra, "Host": url.netloc.decode("ascii")}
        logical = httpx2.Request("GET", url)
        jar.set_cookie_header(logical)
        if "cookie" in logical.headers:
            headers["Cookie"] = logical.headers["cookie"]
        extensions: dict[str, object] = {"timeout": self._timeout.as_dict()}
        if url.scheme == "https" and _literal(url.host) is None:
            extensions["sni_hostname"] = url.host  # SNI and certificate name: the hostname
        last_error: httpx2.TransportError | None = None
        for ip in ips:
            request = httpx2.Request(
                "GET", url.copy_with(host=str(ip)), headers=headers, extensions=extensions
            )
            try:
                response = await self._transport.handle_async_request(request)
            except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:
                if _is_tls_error(exc):
                    log.info("fetch: TLS failure for %s: %s", url.host, exc)
                    raise FetchFailed(
                        "The site's security certificate could not be verified."
                    ) from None
                last_error = exc
                continue
            except httpx2.TimeoutException:
                raise FetchFailed(_MSG_TIMEOUT) from None
            except httpx2.HTTPError as exc:
                log.info("fetch: %s failed: %s", url.host, exc)
                raise FetchFailed("The site sent a response that could not be read.") from None
            response.request = request
            jar.extract_cookies(
                httpx2.Response(response.status_code, headers=response.headers, request=logical)
            )
            return response
        if isinstance(last_error, httpx2.ConnectTimeout):
            raise FetchFailed(_MSG_TIMEOUT)
        log.info("fetch: cannot connect to %s: %s", url.host, last_error)
        raise FetchFailed("The site could not be reached.")

    async def _read(
        self,
        original: str,
        url: httpx2.URL,
        response: httpx2.Response,
        accept: Collection[str],
    ) -> FetchedDocument:
        status = response.status_code
        _check_status(status)
        limit = self._settings.max_bytes
        too_large = TooLarge(f"The page is larger than the {_megabytes(limit)} download limit.")
        declared = response.headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            raise too_large
        mime, charset = parse_content_type(response.headers.get("content-type"))
        known = None if mime in _UNTYPED else _require(mime, accept)
        body, known = await _download(response, url, limit, too_large, known, accept)
        if not body:
            raise NoArticleText("The page is empty.")
        return FetchedDocument(
            url=original,
            final_url=str(url),
            status=status,
            content_type=known or _require(sniff_type(body, True), accept),
            charset=charset,
            body=body,
        )


def _check_status(status: int) -> None:
    if status >= 400:
        raise _http_error(status)
    if not 200 <= status < 300:
        raise FetchFailed(f"The site gave an unexpected answer (HTTP {status}).")


async def _download(
    response: httpx2.Response,
    url: httpx2.URL,
    limit: int,
    too_large: TooLarge,
    mime: str | None,
    accept: Collection[str],
) -> tuple[bytes, str | None]:
    """The body, up to `limit` bytes, and its type.

    An untyped body (`mime` None) is typed by sniffing as soon as enough bytes have arrived, so
    a large file of the wrong kind is refused without downloading it; a body shorter than that
    comes back still untyped, for the caller to sniff whole.
    """
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise too_large
            if mime is None and len(body) >= SNIFF_BYTES:
                mime = _require(sniff_type(bytes(body[:SNIFF_BYTES]), False), accept)
    except httpx2.TimeoutException:
        raise FetchFailed(_MSG_TIMEOUT) from None
    except httpx2.HTTPError as exc:
        log.info("fetch: reading %s failed: %s", url.host, exc)
        raise FetchFailed("The download was interrupted.") from None
    return bytes(body), mime


def _require(mime: str, accept: Collection[str]) -> str:
    if mime not in accept:
        raise UnsupportedContent(f"That link is {describe_type(mime)}, not an article I can read.")
    return mime


def _literal(host: str) -> IPAddress | None:
    try:
        return addresses.parse_ip_literal(host)
    except addresses.InvalidHost:
        raise BadInput(_MSG_INVALID) from None


def _validate(url: httpx2.URL) -> httpx2.URL:
    if url.scheme not in _DEFAULT_PORTS:
        raise BadInput("Only http and https links can be read.")
    if url.userinfo:
        raise BadInput("Links with a username or password in them are not supported.")
    host = url.raw_host.decode("ascii", "replace")
    if not host:
        raise BadInput(_MSG_INVALID)
    if _literal(host) is None and not all(c.isalnum() or c in "-._" for c in host):
        raise BadInput(_MSG_INVALID)
    return url


def _parse_url(text: str) -> httpx2.URL:
    text = text.strip()
    try:
        url = httpx2.URL(text)
    except httpx2.InvalidURL:
        _explain_invalid(text)
        raise BadInput(_MSG_INVALID) from None
    return _validate(url)


def _explain_invalid(text: str) -> None:
    """httpx2 rejects some numeric hosts (`0177.0.0.1`); say "blocked" if that is what they are.

    Only for the error message: nothing is ever fetched from a URL httpx2 could not parse.
    """
    try:
        host = urlsplit(text).hostname or ""
        ip = addresses.parse_ip_literal(host) if host else None
    except (ValueError, addresses.InvalidHost):
        return
    if ip is not None and addresses.is_forbidden(ip):
        raise BlockedAddress(_MSG_BLOCKED)


def _parse_redirect(current: httpx2.URL, location: str) -> httpx2.URL:
    location = location.strip()
    scheme = urlsplit(location).scheme.lower()
    if scheme and scheme not in _DEFAULT_PORTS:
        raise FetchFailed("The page redirected to a link that is not http or https.")
    try:
        following = current.join(location)
    except httpx2.InvalidURL:
        _explain_invalid(location)
        raise FetchFailed("The page redirected to an invalid address.") from None
    if following.scheme not in _DEFAULT_PORTS:
        raise FetchFailed("The page redirected to a link that is not http or https.")
    return _validate(following.copy_with(fragment=None))
