"""SafeFetcher against a real local web server: SSRF guard, redirects, caps, types, TLS.

The outside world is faked at its edges only: DNS by an injected resolver, the network by the
local ArticleServer. Where a test must prove that *no* connection is attempted, it hands the
fetcher a transport that fails the test on any connection attempt (and so also guarantees no
traffic ever leaves the machine), or checks the real server's request log.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import NamedTuple

import httpx2
import pypdf
import pytest

from bot.errors import (
    PASTE_HINT,
    BadInput,
    BlockedAddress,
    FetchFailed,
    NoArticleText,
    TooLarge,
    UnsupportedContent,
)
from bot.ingest.fetch import SafeFetcher, parse_content_type
from bot.ingest.sniff import sniff_type
from tests.fakes.article_server import (
    ARTICLE_FR_TITLE,
    ARTICLE_TITLE,
    PDF_PARAGRAPHS,
    ArticleServer,
    make_pdf,
    make_png,
)
from tests.shared_data import EXTRACTION_DIR, requires_shared

BLOCKED_MESSAGE = "That link points to an address that is not allowed."


# -- the outside world ------------------------------------------------------------------------


class FakeResolver:
    """DNS as seen from the bot: scripted answers (one per call, the last repeats), logged."""

    def __init__(
        self, *answers: list[str] | BaseException, hosts: dict[str, list[str]] | None = None
    ):
        self.answers = list(answers)
        self.hosts = hosts or {}
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host in self.hosts:
            return list(self.hosts[host])
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, BaseException):
            raise answer
        return list(answer)


class NoResolver:
    """For URLs whose host is an IP literal: the resolver must never be asked."""

    async def __call__(self, host: str, port: int) -> list[str]:
        raise AssertionError(f"resolver called for {host!r}")


class Connection(NamedTuple):
    ip: str
    host_header: str | None
    sni: str | None


def _loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Real connections through httpx2, remembering where each one was opened.

    A second line of defence for the test suite: if the guard under test ever regressed, a
    connection to anything but loopback fails the test here instead of leaving the machine.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx2.AsyncHTTPTransport(
            limits=httpx2.Limits(max_keepalive_connections=0)
        )
        self.connections: list[Connection] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        sni = request.extensions.get("sni_hostname")
        self.connections.append(Connection(request.url.host, request.headers.get("host"), sni))
        if not _loopback(request.url.host):
            raise AssertionError(f"test tried to connect to non-loopback {request.url.host}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class RefusingTransport(httpx2.AsyncBaseTransport):
    """Any connection attempt fails the test, and none reaches the network."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.attempts.append(str(request.url))
        raise AssertionError(f"connection attempted to {request.url}")


@pytest.fixture
def server() -> Iterator[ArticleServer]:
    with ArticleServer() as srv:
        yield srv


@pytest.fixture
def other_server() -> Iterator[ArticleServer]:
    with ArticleServer() as srv:
        yield srv


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- happy path -------------------------------------------------------------------------------


async def test_fetches_an_article_with_browser_like_headers(make_settings, server) -> None:
    settings = make_settings()
    async with SafeFetcher(settings.fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/article"))
    assert doc.status == 200
    assert doc.url == doc.final_url == server.url("/article")
    assert (doc.content_type, doc.charset) == ("text/html", "utf-8")
    assert ARTICLE_TITLE.encode() in doc.body
    [(method, path, headers)] = server.requests
    assert (method, path) == ("GET", "/article")
    assert headers["user-agent"] == settings.fetch_user_agent
    assert "text/html" in headers["accept"]
    assert headers["accept-language"].startswith("en")
    assert "gzip" in headers["accept-encoding"]


async def test_built_in_pages_are_real_documents(make_settings, server) -> None:
    async with SafeFetcher(make_settings().fetch) as fetcher:
        french = await fetcher.fetch(server.url("/article-fr"))
        tidal = await fetcher.fetch(server.url("/tidal"))
        pdf = await fetcher.fetch(server.url("/pdf"))
        for path in ("/paywall", "/js-only", "/login"):
            assert (await fetcher.fetch(server.url(path))).content_type == "text/html"
    assert ARTICLE_FR_TITLE in french.body.decode("utf-8")
    assert b"Port Ellery" in tidal.body
    assert pdf.content_type == "application/pdf"
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf.body)).pages[0].extract_text().split())
    for paragraph in PDF_PARAGRAPHS:
        assert paragraph in text


async def test_gzip_bodies_are_decoded(make_settings, server) -> None:
    page = b"<!DOCTYPE html><html><body><p>" + b"compressible words " * 500 + b"</p></body></html>"
    server.add("/gz", gzip.compress(page), headers={"Content-Encoding": "gzip"})
    async with SafeFetcher(make_settings().fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/gz"))
    assert doc.body == page


async def test_environment_proxies_are_ignored(make_settings, server, monkeypatch) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead)
    async with SafeFetcher(make_settings().fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/article"))
    assert doc.status == 200


@requires_shared
async def test_fetches_benchmark_pages(make_settings, server) -> None:
    files = sorted((EXTRACTION_DIR / "html").glob("*.html.gz"))[:3]
    assert files
    async with SafeFetcher(make_settings(fetch_max_bytes=20_000_000).fetch) as fetcher:
        for file in files:
            page_id = file.name.removesuffix(".html.gz")
            doc = await fetcher.fetch(server.url(f"/bench/{page_id}"))
            assert doc.content_type == "text/html"
            assert doc.body == gzip.decompress(file.read_bytes())
        with pytest.raises(FetchFailed, match="HTTP 404"):
            await fetcher.fetch(server.url("/bench/no-such-page"))


# -- the address guard ------------------------------------------------------------------------


async def test_loopback_is_blocked_by_default(make_settings, server) -> None:
    async with SafeFetcher(make_settings(fetch_allow_networks=[]).fetch) as fetcher:
        with pytest.raises(BlockedAddress) as caught:
            await fetcher.fetch(server.url("/article"))
    assert caught.value.user_message == BLOCKED_MESSAGE
    assert server.requests == []  # the real server was never contacted


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://017700000001/",
        "http://0x7f.0.0.1/",
        "http://0x7f000001/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://127.0.0.1./",
        "http://10.1/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.43518/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://0/",
        "http://0.1.2.3/",
        "http://255.255.255.255/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://198.18.0.1/",
        "http://192.0.2.1/",
        "http://203.0.113.5/",
        "http://[::1]/",
        "http://[::]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::127.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[64:ff9b::127.0.0.1]/",
        "http://[2002:7f00:1::]/",
        "http://[2002:a9fe:a9fe::1]/",
        "http://[fe80::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[fc00::1]/",
        "http://[fd00:ec2::254]/",
        "http://[fec0::1]/",
        "http://[ff02::1]/",
        "http://[2001:db8::1]/",
        "https://127.0.0.1/",
        "https://[::1]:8443/",
    ],
)
async def test_forbidden_ip_literals_are_blocked_before_connecting(make_settings, url) -> None:
    transport = RefusingTransport()
    settings = make_settings(fetch_allow_networks=[])
    async with SafeFetcher(settings.fetch, resolver=NoResolver(), transport=transport) as fetcher:
        with pytest.raises(BlockedAddress, match="not allowed"):
            await fetcher.fetch(url)
    assert transport.attempts == []


@pytest.mark.parametrize(
    "answer",
    [
        ["127.0.0.1"],
        ["127.0.0.53"],
        ["::1"],
        ["10.0.0.5"],
        ["192.168.1.20"],
        ["169.254.169.254"],
        ["100.100.100.200"],
        ["0.0.0.0"],
        ["224.0.0.251"],
        ["fd00::1"],
        ["fe80::1%eth0"],
        ["::ffff:127.0.0.1"],
        ["64:ff9b::a9fe:a9fe"],
        ["2002:a00:1::"],
        ["198.18.0.9"],
        ["8.8.8.8", "10.0.0.1"],  # one bad address is enough
        ["2606:4700::1111", "::1"],
        ["not-an-address"],
    ],
)
async def test_hostnames_resolving_to_forbidden_addresses_are_blocked(
    make_settings, answer
) -> None:
    resolver = FakeResolver(answer)
    transport = RefusingTransport()
    settings = make_settings(fetch_allow_networks=[])
    async with SafeFetcher(settings.fetch, resolver=resolver, transport=transport) as fetcher:
        with pytest.raises(BlockedAddress) as caught:
            await fetcher.fetch("https://intranet.example.com/wiki")
    assert resolver.calls == [("intranet.example.com", 443)]
    assert transport.attempts == []
    assert caught.value.user_message == BLOCKED_MESSAGE  # no address or range is revealed


async def test_one_forbidden_address_among_allowed_ones_blocks(make_settings, server) -> None:
    resolver = FakeResolver(["127.0.0.1", "10.0.0.1"])
    async with SafeFetcher(make_settings().fetch, resolver=resolver) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(server.url("/article", host="mixed.test"))
    assert server.requests == []


async def test_allow_list_admits_loopback_by_name_and_connects_to_the_checked_ip(
    make_settings, server
) -> None:
    resolver = FakeResolver(["127.0.0.1"])
    transport = RecordingTransport()
    async with SafeFetcher(
        make_settings().fetch, resolver=resolver, transport=transport
    ) as fetcher:
        doc = await fetcher.fetch(server.url("/article", host="News.Example.Test"))
    assert doc.final_url == server.url("/article", host="news.example.test")
    host_header = f"news.example.test:{server.port}"
    assert transport.connections == [Connection("127.0.0.1", host_header, None)]
    assert server.requests[0].headers["host"] == host_header


async def test_mapped_ipv6_literal_connects_to_the_ipv4_address(make_settings, server) -> None:
    transport = RecordingTransport()
    settings = make_settings()
    async with SafeFetcher(settings.fetch, resolver=NoResolver(), transport=transport) as fetcher:
        doc = await fetcher.fetch(f"http://[::ffff:127.0.0.1]:{server.port}/article")
    assert doc.status == 200
    assert [c.ip for c in transport.connections] == ["127.0.0.1"]
    assert server.requests[0].headers["host"] == f"[::ffff:127.0.0.1]:{server.port}"


async def test_tries_checked_addresses_in_order(make_settings, server) -> None:
    # The server only listens on 127.0.0.1: 127.0.0.2 refuses, the fetcher moves on.
    resolver = FakeResolver(["127.0.0.2", "127.0.0.1"])
    transport = RecordingTransport()
    settings = make_settings(fetch_allow_networks=["127.0.0.0/8"])
    async with SafeFetcher(settings.fetch, resolver=resolver, transport=transport) as fetcher:
        doc = await fetcher.fetch(server.url("/article", host="multi.test"))
    assert doc.status == 200
    assert [c.ip for c in transport.connections] == ["127.0.0.2", "127.0.0.1"]
    assert len(resolver.calls) == 1


async def test_dns_rebinding_has_no_window(make_settings, server) -> None:
    # First answer passes the check; any later lookup would point at the metadata service.
    resolver = FakeResolver(["127.0.0.1"], ["169.254.169.254"])
    transport = RecordingTransport()
    async with SafeFetcher(
        make_settings().fetch, resolver=resolver, transport=transport
    ) as fetcher:
        doc = await fetcher.fetch(server.url("/article", host="rebind.test"))
        assert doc.status == 200
        assert len(resolver.calls) == 1  # resolved once; the connection used that answer
        assert [c.ip for c in transport.connections] == ["127.0.0.1"]
        assert server.requests[0].headers["host"] == f"rebind.test:{server.port}"
        # The next fetch resolves again and now sees the rebound (forbidden) address.
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(server.url("/article", host="rebind.test"))
    assert len(server.requests) == 1
    assert len(transport.connections) == 1


async def test_every_redirect_hop_is_resolved_and_checked_once(make_settings, server) -> None:
    resolver = FakeResolver(["127.0.0.1"])
    async with SafeFetcher(make_settings().fetch, resolver=resolver) as fetcher:
        doc = await fetcher.fetch(server.url("/redirect-chain/3", host="hops.test"))
    assert doc.final_url == server.url("/redirect-chain/0", host="hops.test")
    assert resolver.calls == [("hops.test", server.port)] * 4


async def test_rebinding_between_redirect_hops_is_caught(make_settings, server) -> None:
    resolver = FakeResolver(["127.0.0.1"], ["10.0.0.7"])
    async with SafeFetcher(make_settings().fetch, resolver=resolver) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(server.url("/redirect-chain/1", host="hops.test"))
    assert [r.path for r in server.requests] == ["/redirect-chain/1"]


@pytest.mark.parametrize("path", ["/redirect-internal", "/redirect-private"])
async def test_redirect_to_an_internal_address_is_blocked(make_settings, server, path) -> None:
    transport = RecordingTransport()
    async with SafeFetcher(
        make_settings().fetch, resolver=NoResolver(), transport=transport
    ) as fetcher:
        with pytest.raises(BlockedAddress, match="not allowed"):
            await fetcher.fetch(server.url(path))
    assert [c.ip for c in transport.connections] == ["127.0.0.1"]  # the target never contacted
    assert [r.path for r in server.requests] == [path]


async def test_redirect_to_a_name_resolving_internally_is_blocked(make_settings, server) -> None:
    server.redirect("/go", "http://metadata.test/computeMetadata/v1/")
    resolver = FakeResolver(hosts={"metadata.test": ["169.254.169.254"]})
    transport = RecordingTransport()
    async with SafeFetcher(
        make_settings().fetch, resolver=resolver, transport=transport
    ) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(server.url("/go"))
    assert resolver.calls == [("metadata.test", 80)]
    assert [c.ip for c in transport.connections] == ["127.0.0.1"]


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/", "javascript:alert(1)"],
)
async def test_redirect_to_another_scheme_is_refused(make_settings, server, location) -> None:
    server.redirect("/go", location)
    async with SafeFetcher(make_settings().fetch) as fetcher:
        with pytest.raises(FetchFailed, match="not http or https"):
            await fetcher.fetch(server.url("/go"))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a",
        "file:///etc/passwd",
        "gopher://example.com/",
        "data:text/html,hi",
        "javascript:alert(1)",
        "example.com/article",
        "",
        "http://",
    ],
)
async def test_non_http_urls_are_bad_input(make_settings, url) -> None:
    transport = RefusingTransport()
    async with SafeFetcher(
        make_settings().fetch, resolver=NoResolver(), transport=transport
    ) as fetcher:
        with pytest.raises(BadInput):
            await fetcher.fetch(url)
    assert transport.attempts == []


@pytest.mark.parametrize(
    "url",
    [
        "http://1.2.3.4.5/",
        "http://256.1.1.1/",
        "http://08.1/",
        "http://example.123/",
        "http://%31%32%37.0.0.1/",
        "http://exa mple.com/",
        "http://[zz::1]/",
    ],
)
async def test_malformed_hosts_are_refused_without_resolving(make_settings, url) -> None:
    transport = RefusingTransport()
    async with SafeFetcher(
        make_settings().fetch, resolver=NoResolver(), transport=transport
    ) as fetcher:
        with pytest.raises(BadInput):
            await fetcher.fetch(url)
    assert transport.attempts == []


async def test_credentials_in_urls_are_refused(make_settings, server) -> None:
    async with SafeFetcher(make_settings().fetch) as fetcher:
        with pytest.raises(BadInput) as caught:
            await fetcher.fetch(f"http://admin:hunter2@127.0.0.1:{server.port}/article")
    assert "hunter2" not in caught.value.user_message
    assert server.requests == []


@pytest.mark.skipif(
    "localhost" not in Path("/etc/hosts").read_text(errors="replace"),
    reason="localhost is not in /etc/hosts; resolving it could query a remote DNS server",
)
async def test_system_resolver(make_settings, server) -> None:
    allowed = make_settings(fetch_allow_networks=["127.0.0.1/32", "::1/128"])
    async with SafeFetcher(allowed.fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/article", host="localhost"))
    assert doc.status == 200
    async with SafeFetcher(make_settings(fetch_allow_networks=[]).fetch) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(server.url("/article", host="localhost"))
    assert len(server.requests) == 1


# -- redirects and headers --------------------------------------------------------------------


async def test_redirect_chain_within_the_limit(make_settings, server) -> None:
    async with SafeFetcher(make_settings(fetch_max_redirects=5).fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/redirect-chain/5"))
    assert doc.url == server.url("/redirect-chain/5")
    assert doc.final_url == server.url("/redirect-chain/0")
    assert len(server.requests) == 6


@pytest.mark.parametrize(
    ("max_redirects", "path"),
    [(5, "/redirect-chain/6"), (0, "/redirect-chain/1"), (3, "/redirect-loop")],
)
async def test_too_many_redirects(make_settings, server, max_redirects, path) -> None:
    async with SafeFetcher(make_settings(fetch_max_redirects=max_redirects).fetch) as fetcher:
        with pytest.raises(FetchFailed, match="redirected too many times"):
            await fetcher.fetch(server.url(path))
    assert len(server.requests) == max_redirects + 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_statuses_and_relative_locations(make_settings, server, status) -> None:
    server.redirect("/a/b/start", "../../article", status=status)
    async with SafeFetcher(make_settings().fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/a/b/start"))
    assert doc.final_url == server.url("/article")


async def test_scheme_relative_and_cross_server_redirects(
    make_settings, server, other_server
) -> None:
    server.redirect("/hop", f"//127.0.0.1:{other_server.port}/article#section")
    async with SafeFetcher(make_settings().fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/hop"))
    assert doc.final_url == other_server.url("/article")
    assert [r.path for r in other_server.requests] == ["/article"]


async def test_extra_headers_are_dropped_on_cross_origin_redirect(
    make_settings, server, other_server
) -> None:
    server.redirect("/files/report", other_server.url("/cdn/report"))
    other_server.redirect("/cdn/report", server.url("/article"))  # and back again
    secret = {"Authorization": "Bearer xoxb-secret-token", "X-Trace": "abc"}
    async with SafeFetcher(make_settings().fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/files/report"), headers=secret)
    assert doc.final_url == server.url("/article")
    first, back = server.requests
    assert first.headers["authorization"] == "Bearer xoxb-secret-token"
    assert first.headers["x-trace"] == "abc"
    [cdn] = other_server.requests
    assert "authorization" not in cdn.headers and "x-trace" not in cdn.headers
    assert "authorization" not in back.headers  # once dropped, never restored


async def test_extra_headers_are_dropped_for_another_hostname_on_the_same_ip(
    make_settings, server
) -> None:
    server.redirect("/go", server.url("/article", host="b.test"))
    resolver = FakeResolver(["127.0.0.1"])
    async with SafeFetcher(make_settings().fetch, resolver=resolver) as fetcher:
        await fetcher.fetch(server.url("/go", host="a.test"), headers={"Authorization": "t"})
    first, second = server.requests
    assert first.headers["authorization"] == "t"
    assert second.headers["host"] == f"b.test:{server.port}"
    assert "authorization" not in second.headers


async def test_extra_headers_are_kept_on_same_origin_redirect(make_settings, server) -> None:
    server.redirect("/go", "/article")
    async with SafeFetcher(make_settings().fetch) as fetcher:
        await fetcher.fetch(server.url("/go"), headers={"Authorization": "Bearer t"})
    assert [r.headers.get("authorization") for r in server.requests] == ["Bearer t"] * 2


async def test_callers_cannot_override_the_host_header(make_settings, server) -> None:
    async with SafeFetcher(make_settings().fetch) as fetcher:
        await fetcher.fetch(server.url("/article"), headers={"Host": "internal.corp"})
    assert server.requests[0].headers["host"] == f"127.0.0.1:{server.port}"


async def test_cookies_follow_redirects_on_their_own_site_only(make_settings, server) -> None:
    set_cookie = {"Location": "/check", "Set-Cookie": "s=1; Path=/"}
    server.add("/set", b"", status=302, headers=set_cookie)
    server.redirect("/check", server.url("/article", host="b.test"))
    resolver = FakeResolver(["127.0.0.1"])
    async with SafeFetcher(make_settings().fetch, resolver=resolver) as fetcher:
        await fetcher.fetch(server.url("/set", host="a.test"))
        await fetcher.fetch(server.url("/check", host="a.test"))  # a new fetch: no cookies
    seen = [
        (r.headers["host"].split(":")[0], r.path, r.headers.get("cookie")) for r in server.requests
    ]
    assert seen == [
        ("a.test", "/set", None),
        ("a.test", "/check", "s=1"),
        ("b.test", "/article", None),  # same IP and port, another site: no cookie
        ("a.test", "/check", None),
        ("b.test", "/article", None),
    ]


# -- sizes, time, errors ----------------------------------------------------------------------


async def test_declared_size_over_the_cap_is_refused_up_front(make_settings, server) -> None:
    async with SafeFetcher(make_settings(fetch_max_bytes=1_000_000).fetch) as fetcher:
        with pytest.raises(TooLarge, match="1 MB"):
            await fetcher.fetch(server.url("/huge-declared"))


async def test_streamed_body_over_the_cap_is_cut_off(make_settings, server) -> None:
    async with SafeFetcher(make_settings(fetch_max_bytes=1_000_000).fetch) as fetcher:
        with pytest.raises(TooLarge):
            await fetcher.fetch(server.url("/huge"))
        # The connection is dropped and the fetcher stays usable.
        assert (await fetcher.fetch(server.url("/article"))).status == 200


async def test_size_cap_boundary(make_settings, server) -> None:
    server.add("/fits", b"a" * 10_000, content_type="text/plain")
    server.add("/over", b"a" * 10_001, content_type="text/plain")
    async with SafeFetcher(make_settings(fetch_max_bytes=10_000).fetch) as fetcher:
        assert len((await fetcher.fetch(server.url("/fits"))).body) == 10_000
        with pytest.raises(TooLarge):
            await fetcher.fetch(server.url("/over"))


async def test_decompressed_size_is_what_counts(make_settings, server) -> None:
    bomb = gzip.compress(b"a" * 3_000_000)  # a few kB on the wire
    server.add("/bomb", bomb, content_type="text/plain", headers={"Content-Encoding": "gzip"})
    async with SafeFetcher(make_settings(fetch_max_bytes=1_000_000).fetch) as fetcher:
        with pytest.raises(TooLarge):
            await fetcher.fetch(server.url("/bomb"))


@pytest.mark.parametrize("path", ["/slow", "/slow-body"])
async def test_read_timeout(make_settings, server, path) -> None:
    async with SafeFetcher(make_settings(fetch_read_timeout=0.3).fetch) as fetcher:
        with pytest.raises(FetchFailed) as caught:
            await fetcher.fetch(server.url(path))
    assert caught.value.user_message == "The site did not answer in time."


async def test_slow_dns_times_out(make_settings) -> None:
    class SlowResolver:
        async def __call__(self, host: str, port: int) -> list[str]:
            await asyncio.sleep(30)
            return ["127.0.0.1"]

    settings = make_settings(fetch_connect_timeout=0.2)
    async with SafeFetcher(
        settings.fetch, resolver=SlowResolver(), transport=RefusingTransport()
    ) as f:
        with pytest.raises(FetchFailed, match="did not answer in time"):
            await f.fetch("http://slow-dns.test/")


@pytest.mark.parametrize(
    "answer", [socket.gaierror(socket.EAI_NONAME, "Name or service not known"), []]
)
async def test_dns_failure(make_settings, answer) -> None:
    resolver = FakeResolver(answer)
    async with SafeFetcher(
        make_settings().fetch, resolver=resolver, transport=RefusingTransport()
    ) as f:
        with pytest.raises(FetchFailed, match="address could not be found"):
            await f.fetch("https://no-such-site.test/news")


async def test_connection_refused(make_settings) -> None:
    async with SafeFetcher(make_settings().fetch) as fetcher:
        with pytest.raises(FetchFailed, match="could not be reached"):
            await fetcher.fetch(f"http://127.0.0.1:{closed_port()}/article")


@pytest.mark.parametrize(
    ("status", "text", "hint"),
    [
        (400, "HTTP 400", False),
        (401, "HTTP 401", True),
        (403, "HTTP 403", True),
        (404, "HTTP 404", False),
        (410, "HTTP 410", False),
        (418, "HTTP 418", False),
        (429, "HTTP 429", False),
        (451, "HTTP 451", True),
        (500, "HTTP 500", False),
        (503, "HTTP 503", False),
    ],
)
async def test_http_errors(make_settings, server, status, text, hint) -> None:
    async with SafeFetcher(make_settings().fetch) as fetcher:
        with pytest.raises(FetchFailed) as caught:
            await fetcher.fetch(server.url(f"/status/{status}"))
    message = caught.value.user_message
    assert text in message
    assert (PASTE_HINT in message) is hint
    assert "\n" not in message


async def test_empty_pages_are_not_articles(make_settings, server) -> None:
    server.add("/empty", b"")
    async with SafeFetcher(make_settings().fetch) as fetcher:
        for path in ("/status/204", "/empty"):
            with pytest.raises(NoArticleText, match="empty"):
                await fetcher.fetch(server.url(path))


# -- content types ------------------------------------------------------------------------------

PNG = make_png()
XHTML = "application/xhtml+xml"
PDF = make_pdf("Sniffed", ["A short paragraph of text inside a PDF."])


@pytest.mark.parametrize(
    ("content_type", "body", "phrase"),
    [
        ("image/png", PNG, "an image"),
        ("image/jpeg", b"\xff\xd8\xff\xe0" + bytes(100), "an image"),
        ("video/mp4", bytes(64), "a video"),
        ("audio/mpeg", b"ID3" + bytes(64), "an audio file"),
        ("application/zip", b"PK\x03\x04" + bytes(64), "a ZIP archive"),
        ("application/json", b'{"a": 1}', "JSON data"),
        ("application/vnd.ms-excel", bytes(64), "application/vnd.ms-excel"),
        ("application/octet-stream", PNG, "an image"),  # sniffed
        (None, b"PK\x03\x04" + bytes(2000), "a ZIP archive"),
        (None, bytes(range(256)) * 8, "a binary file"),
    ],
)
async def test_unsupported_content_is_named(make_settings, server, content_type, body, phrase):
    server.add("/thing", body, content_type=content_type)
    async with SafeFetcher(make_settings().fetch) as fetcher:
        with pytest.raises(UnsupportedContent) as caught:
            await fetcher.fetch(server.url("/thing"))
    assert phrase in caught.value.user_message


@pytest.mark.parametrize("path", ["/binary", "/image.png"])
async def test_built_in_binary_routes_are_unsupported(make_settings, server, path) -> None:
    async with SafeFetcher(make_settings().fetch) as fetcher:
        with pytest.raises(UnsupportedContent):
            await fetcher.fetch(server.url(path))


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        (None, PDF, "application/pdf"),
        ("application/octet-stream", PDF, "application/pdf"),
        (None, b"\n  <!DOCTYPE html><html><body><p>Hi</p></body></html>", "text/html"),
        (None, b"<HTML><body>old school</body></HTML>", "text/html"),
        ("application/octet-stream", "Plain text, caf\u00e9 cr\u00e8me.\n".encode(), "text/plain"),
        (None, ("a" + "\u00e9" * 600).encode(), "text/plain"),  # multi-byte chars across the sample
        ("text/markdown; charset=utf-8", b"# Title\n\nBody.", "text/markdown"),
        ("application/xhtml+xml", b"<html xmlns='http://www.w3.org/1999/xhtml'/>", XHTML),
        ("garbage", b"<!doctype html><p>x</p>", "text/html"),
    ],
)
async def test_accepted_and_sniffed_types(make_settings, server, content_type, body, expected):
    server.add("/doc", body, content_type=content_type)
    async with SafeFetcher(make_settings().fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/doc"))
    assert doc.content_type == expected
    assert doc.body == body


async def test_charset_comes_from_the_header(make_settings, server) -> None:
    server.add(
        "/latin",
        "<p>caf\u00e9</p>".encode("latin-1"),
        content_type='Text/HTML; Charset="ISO-8859-1"',
    )
    async with SafeFetcher(make_settings().fetch) as fetcher:
        doc = await fetcher.fetch(server.url("/latin"))
    assert (doc.content_type, doc.charset) == ("text/html", "iso-8859-1")


async def test_accept_narrows_what_is_allowed(make_settings, server) -> None:
    async with SafeFetcher(make_settings().fetch) as fetcher:
        pdf = await fetcher.fetch(server.url("/pdf"), accept={"application/pdf"})
        assert pdf.content_type == "application/pdf"
        with pytest.raises(UnsupportedContent):
            await fetcher.fetch(server.url("/article"), accept={"application/pdf"})


def test_parse_content_type() -> None:
    assert parse_content_type("text/html; charset=UTF-8") == ("text/html", "utf-8")
    assert parse_content_type("application/pdf") == ("application/pdf", None)
    assert parse_content_type(None) == ("", None)
    assert parse_content_type("nonsense") == ("", None)


def test_sniff_type_needs_the_whole_body_to_call_a_cut_character_invalid() -> None:
    cut = "\u00e9".encode()[:1]
    assert sniff_type(b"abc" + cut, complete=False) == "text/plain"
    assert sniff_type(b"abc" + cut, complete=True) == "application/octet-stream"
    assert sniff_type(b"abc\x00def", complete=True) == "application/octet-stream"


# -- TLS: SNI and certificate checks use the hostname, the socket uses the checked IP --------------


class TLSFiles(NamedTuple):
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> TLSFiles:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make test certificates")
    folder = tmp_path_factory.mktemp("tls")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=articlebot test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    run("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=news.test")
    (folder / "leaf.ext").write_text(
        "subjectAltName=DNS:news.test\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    run(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    )
    return TLSFiles(folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key")


@pytest.fixture
def tls_server(tls_files) -> Iterator[tuple[ArticleServer, list[str]]]:
    names: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    with ArticleServer(ssl_context=context) as srv:
        yield srv, names


def trusting_transport(tls_files: TLSFiles) -> RecordingTransport:
    """The test CA stands in for the public trust store; the rest is httpx2's real transport."""
    verify = ssl.create_default_context(cafile=str(tls_files.ca))
    return RecordingTransport(
        httpx2.AsyncHTTPTransport(verify=verify, limits=httpx2.Limits(max_keepalive_connections=0))
    )


async def test_https_uses_hostname_for_sni_and_certificate(make_settings, tls_server, tls_files):
    server, sni_names = tls_server
    transport = trusting_transport(tls_files)
    resolver = FakeResolver(["127.0.0.1"])
    async with SafeFetcher(
        make_settings().fetch, resolver=resolver, transport=transport
    ) as fetcher:
        doc = await fetcher.fetch(server.url("/article", host="news.test"))
    assert doc.status == 200 and ARTICLE_TITLE.encode() in doc.body
    assert sni_names == ["news.test"]
    host_header = f"news.test:{server.port}"
    assert transport.connections == [Connection("127.0.0.1", host_header, "news.test")]
    assert server.requests[0].headers["host"] == host_header


@pytest.mark.parametrize("host", ["other.test", "127.0.0.1"])
async def test_https_certificate_must_match_the_hostname(
    make_settings, tls_server, tls_files, host
) -> None:
    server, _names = tls_server
    resolver = FakeResolver(["127.0.0.1"])
    transport = trusting_transport(tls_files)
    async with SafeFetcher(
        make_settings().fetch, resolver=resolver, transport=transport
    ) as fetcher:
        with pytest.raises(FetchFailed, match="certificate"):
            await fetcher.fetch(server.url("/article", host=host))
    assert server.requests == []


# -- the fake server itself ---------------------------------------------------------------------


def test_stopping_the_server_ends_a_stalled_request() -> None:
    server = ArticleServer(slow_seconds=60).start()
    client = socket.create_connection(("127.0.0.1", server.port))
    client.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(500):  # wait until the handler is inside its stall
        if server.requests:
            break
        time.sleep(0.01)
    assert server.requests
    server.stop()  # raises if a handler thread is still alive
    client.settimeout(5)
    assert client.recv(1) == b""  # closed, no response
    client.close()
