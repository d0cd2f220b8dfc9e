"""A real HTTP server on 127.0.0.1 that plays "the web" for tests.

It runs in a background thread (stdlib ThreadingHTTPServer) so that async tests, sync tests
and CLI subprocesses can all fetch from it. Besides pages registered with `add`/`redirect`,
it serves built-in routes for the awkward cases a fetcher meets: huge or endless bodies,
stalled responses, redirect loops, redirects to internal addresses, binaries, paywalls,
JavaScript-only shells, login walls, a PDF, and the extraction benchmark pages.

    with ArticleServer() as server:
        server.add("/page", "<html>...</html>")
        fetch(server.url("/page"))
        method, path, headers = server.requests[0]   # header names are lower-case
"""

from __future__ import annotations

import contextlib
import gzip
import html
import random
import re
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from tests.shared_data import EXTRACTION_DIR, SAMPLE_ARTICLE

HUGE_BYTES = 50 * 1024 * 1024
_CHUNK = 64 * 1024
_BENCH_ID = re.compile(r"[A-Za-z0-9_-]{1,128}\Z")
_HTML = "text/html; charset=utf-8"


class RecordedRequest(NamedTuple):
    method: str
    path: str  # includes the query string
    headers: dict[str, str]  # lower-case names


@dataclass
class _Route:
    status: int
    body: bytes
    content_type: str | None
    headers: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Page content (original text written for these tests; fictional people and places).
# --------------------------------------------------------------------------------------------

ARTICLE_TITLE = "Harwick library reopens two years after the flood, with a new archive room"
ARTICLE_AUTHOR = "Dana Okafor"
ARTICLE_DATE = "2025-09-18"
ARTICLE_PARAGRAPHS = (
    "The public library in Harwick reopened its doors on Wednesday, almost exactly two years "
    "after a river flood filled its ground floor with a metre of brown water and destroyed "
    "roughly forty thousand books.",
    "About three hundred residents queued in the rain before the opening. Many brought children "
    'who had never seen the building with its lights on. "It feels like getting a neighbour '
    'back," said Priya Venkatesan, a retired teacher who volunteered during the clean-up.',
    "The restoration cost 6.4 million pounds, of which the county council paid about half. The "
    "rest came from a national heritage grant, an insurance settlement that took fourteen months "
    "to negotiate, and a community appeal that raised 410,000 pounds in small donations.",
    "The most visible change is a new archive room on the first floor, well above the level the "
    "water reached. It holds the town's parish records, old newspapers and a collection of "
    "photographs of the mill district that had been kept in the basement for decades.",
    "Head librarian Tomas Reyes said the flood had forced a decision the library had postponed "
    'for years. "We always knew the basement was the wrong place for the archive," he said. '
    '"It took losing part of it to find the money to move the rest."',
    "Not everyone is satisfied. The Harwick Traders' Association argues that the council should "
    "have spent the money on flood defences along the river first, and warns that the town "
    "centre remains exposed to the next major storm.",
    "The Environment Agency says a new flood wall is planned for 2027, subject to funding. Until "
    "then, the library has installed removable barriers at its entrances and moved its servers "
    "and electrical equipment to the upper floor.",
    "Opening hours will return to normal from Monday. The archive room will be open to visitors "
    "by appointment on Tuesdays and Thursdays while staff finish cataloguing the photographs.",
)

ARTICLE_FR_TITLE = "À Valmont, la boulangerie coopérative fête ses dix ans"
ARTICLE_FR_PARAGRAPHS = (
    "La boulangerie coopérative de Valmont a célébré samedi ses dix ans d'existence. Fondée par "
    "six habitants après la fermeture de la dernière boulangerie du village, elle emploie "
    "aujourd'hui quatre salariés et compte plus de deux cents sociétaires.",
    "« Au début, personne ne croyait qu'un village de neuf cents habitants pouvait faire vivre "
    "un commerce géré par ses clients », raconte Hélène Marchetti, présidente de la coopérative. "
    "Chaque sociétaire a versé cinquante euros pour financer le premier four.",
    "La coopérative achète sa farine à un moulin situé à trente kilomètres et vend environ trois "
    "cents baguettes par jour. Les bénéfices sont réinvestis dans l'équipement ou reversés à "
    "l'école du village pour les sorties scolaires.",
    "Le maire, Julien Fabre, estime que la boulangerie a joué un rôle inattendu : « Elle a "
    "ramené du monde sur la place. Le café a rouvert l'an dernier, et ce n'est pas un hasard. »",
    "Pour les dix prochaines années, les sociétaires veulent ouvrir un petit rayon d'épicerie "
    "et former deux apprentis. Une assemblée générale est prévue en novembre pour voter le "
    "projet.",
)

PDF_PARAGRAPHS = (
    "The Marlow county water board has published its annual report on drinking water quality. "
    "All two hundred and twelve samples taken last year met the national standard for nitrates, "
    "compared with one hundred and ninety-eight the year before.",
    "The board attributes the improvement to a programme that pays farmers near the reservoir "
    "to plant cover crops in winter. Twenty-six farms joined the scheme, which costs about "
    "three hundred thousand pounds a year.",
    "The report warns that ageing pipes in the northern districts still cause occasional "
    "discoloured water. Replacing them will take at least six years, and the board plans to "
    "consult residents on the order of the works this spring.",
)

PAYWALL_TEASER = (
    "The city's plan to close three fire stations has divided the council, with officials "
    "arguing that response times will hold steady while union leaders warn of longer waits."
)
JS_ONLY_NOTICE = "You need to enable JavaScript to run this app."
LOGIN_NOTICE = "Sign in to continue reading"


def _article_html() -> str:
    body = "\n".join(f"      <p>{html.escape(p)}</p>" for p in ARTICLE_PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(ARTICLE_TITLE)} | Harwick Courier</title>
  <meta name="author" content="{ARTICLE_AUTHOR}">
  <meta name="description" content="The flood-damaged library reopens with a new archive room.">
  <meta property="og:title" content="{html.escape(ARTICLE_TITLE)}">
  <meta property="og:site_name" content="Harwick Courier">
  <meta property="og:type" content="article">
  <meta property="article:published_time" content="{ARTICLE_DATE}T09:30:00+01:00">
</head>
<body>
  <header class="site-header">
    <a href="/">Harwick Courier</a>
    <nav><a href="/news">News</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav>
  </header>
  <main>
    <article>
      <h1>{html.escape(ARTICLE_TITLE)}</h1>
      <p class="byline">By <span class="author">{ARTICLE_AUTHOR}</span>,
        <time datetime="{ARTICLE_DATE}">18 September 2025</time></p>
{body}
    </article>
    <aside class="related"><h2>Related</h2><ul><li><a href="/flood">Flood one year on</a></li>
      <li><a href="/council">Council budget vote</a></li></ul></aside>
  </main>
  <footer><p>&copy; 2025 Harwick Courier. All rights reserved.</p>
    <a href="/privacy">Privacy</a> <a href="/contact">Contact us</a></footer>
</body>
</html>
"""


def _article_fr_html() -> str:
    body = "\n".join(f"    <p>{html.escape(p)}</p>" for p in ARTICLE_FR_PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>{html.escape(ARTICLE_FR_TITLE)} - Le Journal du Plateau</title>
  <meta name="author" content="Claire Dumont">
  <meta property="og:title" content="{html.escape(ARTICLE_FR_TITLE)}">
  <meta property="article:published_time" content="2025-10-04T07:00:00+02:00">
</head>
<body>
  <nav><a href="/">Accueil</a> <a href="/region">Région</a> <a href="/sports">Sports</a></nav>
  <article>
    <h1>{html.escape(ARTICLE_FR_TITLE)}</h1>
    <p class="auteur">Par Claire Dumont, le 4 octobre 2025</p>
{body}
  </article>
  <footer>Le Journal du Plateau - Mentions légales</footer>
</body>
</html>
"""


def _paywall_html() -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8">
<title>Council split over fire station closures | The Metro Ledger</title>
<meta property="og:title" content="Council split over fire station closures"></head>
<body>
  <header><a href="/">The Metro Ledger</a> <a href="/subscribe" class="btn">Subscribe</a></header>
  <article class="story">
    <h1>Council split over fire station closures</h1>
    <p class="byline">By Sam Whitlock</p>
    <p class="teaser">{PAYWALL_TEASER}</p>
    <div class="paywall" data-paywall="hard">
      <h2>Subscribe to continue reading</h2>
      <p>This article is for subscribers only. Get unlimited access for $1 a week.</p>
      <a class="cta" href="/subscribe">Subscribe now</a>
      <p>Already a subscriber? <a href="/login">Log in</a></p>
    </div>
  </article>
</body>
</html>
"""


def _js_only_html() -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Newsroom</title>
<script defer src="/static/js/main.4f1c2a.js"></script></head>
<body>
  <noscript>{JS_ONLY_NOTICE}</noscript>
  <div id="root"></div>
</body>
</html>
"""


def _login_html() -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in | Industry Insider</title></head>
<body>
  <main class="auth">
    <h1>{LOGIN_NOTICE}</h1>
    <p>Create a free account or sign in to read this article.</p>
    <form method="post" action="/login">
      <label>Email <input type="email" name="email"></label>
      <label>Password <input type="password" name="password"></label>
      <button type="submit">Sign in</button>
    </form>
    <p><a href="/forgot">Forgot your password?</a> <a href="/register">Create account</a></p>
  </main>
</body>
</html>
"""


def markdown_to_html(markdown: str) -> str:
    """Just enough Markdown for the bundled sample: headings, emphasis lines, paragraphs."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", markdown) if b.strip()]
    title = "Article"
    parts: list[str] = []
    for block in blocks:
        text = " ".join(line.strip() for line in block.splitlines())
        heading = re.match(r"(#{1,6})\s+(.*)", text)
        if heading:
            level = len(heading.group(1))
            if level == 1:
                title = heading.group(2)
            parts.append(f"<h{level}>{html.escape(heading.group(2))}</h{level}>")
            continue
        escaped = html.escape(text)
        escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
        escaped = re.sub(r"\*(.+?)\*", r"<em>\1</em>", escaped)
        parts.append(f"<p>{escaped}</p>")
    content = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n<article>\n{content}\n"
        f"</article>\n</body>\n</html>\n"
    )


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def make_pdf(title: str, paragraphs: tuple[str, ...] | list[str]) -> bytes:
    """A one-page PDF (Helvetica, ASCII text) with a correct xref table, written by hand."""
    ops = ["BT", "/F1 16 Tf", "72 740 Td", "20 TL", f"({_pdf_escape(title)}) Tj", "T*", "/F1 11 Tf"]
    ops.append("15 TL")
    for paragraph in paragraphs:
        ops.append("T*")
        ops.extend(f"({_pdf_escape(line)}) Tj T*" for line in _wrap(paragraph, 88))
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG of the given size (grey pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


BINARY_BODY = random.Random(20250918).randbytes(256 * 1024)


# --------------------------------------------------------------------------------------------
# The server.
# --------------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: ArticleServer) -> None:
        self.owner = owner
        super().__init__((owner.host, 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Like ThreadingMixIn, but keep the thread so stop() can wait for it.
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        self.owner._register(request, thread)
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.owner._unregister(threading.current_thread())

    def finish_request(self, request: Any, client_address: Any) -> None:
        ssl_context = self.owner.ssl_context
        if ssl_context is not None:
            request.settimeout(5)
            try:
                request = ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client rejected our certificate, or went away
            self.owner._register(request, threading.current_thread())
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-response are expected (size caps, timeouts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    timeout = 10  # an idle keep-alive connection must not hold a thread forever

    def do_GET(self) -> None:
        self.server.owner._dispatch(self)

    def do_HEAD(self) -> None:
        self.server.owner._dispatch(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- response helpers ---------------------------------------------------------------------

    def send_body(
        self,
        status: int,
        body: bytes,
        content_type: str | None = _HTML,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        no_body = status < 200 or status in (204, 304)
        if not no_body:
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not no_body and self.command != "HEAD":
            self.wfile.write(body)

    def send_redirect(self, location: str, status: int = 302) -> None:
        self.send_body(status, b"", "text/plain", {"Location": location})

    def send_chunked(self, content_type: str, chunks: Any, length: int | None = None) -> None:
        """Stream `chunks` lazily: chunked encoding, or raw bytes after a Content-Length."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        for data in chunks:
            if self.server.owner.stopping.is_set():
                break
            if length is None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self.wfile.write(data)
        else:
            if length is None:
                self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True


def _generated(total: int):
    """`total` bytes of HTML-ish filler, produced one chunk at a time (never held in memory)."""
    block = (b"<p>" + b"All work and no play makes a very long page. " * 20 + b"</p>\n") * 64
    sent = 0
    while sent < total:
        data = block[: min(_CHUNK, total - sent)]
        sent += len(data)
        yield data


class ArticleServer:
    """A local web server for tests; use as a context manager (or call start/stop)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
        slow_seconds: float = 30.0,
        bench_dir: Path | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.slow_seconds = slow_seconds
        self.bench_dir = bench_dir or (EXTRACTION_DIR / "html")
        self.stopping = threading.Event()
        self._routes: dict[str, _Route] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._connections: dict[int, tuple[Any, threading.Thread]] = {}
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> ArticleServer:
        self._server = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, wake stalled handlers, close open connections and join threads."""
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            open_connections = list(self._connections.values())
        for sock, _thread in open_connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        stuck = []
        for _sock, thread in open_connections:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
                if thread.is_alive():
                    stuck.append(thread.name)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        if stuck:
            raise RuntimeError(f"article server handler threads did not stop: {stuck}")

    def __enter__(self) -> ArticleServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _register(self, sock: Any, thread: threading.Thread) -> None:
        with self._lock:
            self._connections[id(sock)] = (sock, thread)

    def _unregister(self, thread: threading.Thread) -> None:
        with self._lock:
            for key in [k for k, (_s, t) in self._connections.items() if t is thread]:
                del self._connections[key]

    # -- public API ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the article server is not running")
        return int(self._server.server_address[1])

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        """Absolute URL for `path`; `host` replaces 127.0.0.1 (e.g. a name a fake resolver maps)."""
        if not path.startswith("/"):
            path = "/" + path
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        content_type: str | None = _HTML,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Serve `body` at `path` (exact match, query ignored). content_type=None sends none."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._routes[path] = _Route(status, data, content_type, dict(headers or {}))

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.add(
            path, b"", content_type="text/plain", status=status, headers={"Location": location}
        )

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # -- routing ------------------------------------------------------------------------------

    def _dispatch(self, handler: _Handler) -> None:
        path = handler.path.split("?", 1)[0]
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self._requests.append(RecordedRequest(handler.command, handler.path, headers))
            route = self._routes.get(path)
        try:
            if route is not None:
                handler.send_body(route.status, route.body, route.content_type, route.headers)
            else:
                self._builtin(handler, path)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            handler.close_connection = True  # the client hung up: expected for caps/timeouts

    def _builtin(self, handler: _Handler, path: str) -> None:
        static = _STATIC_PAGES.get(path)
        if static is not None:
            body, content_type = static()
            handler.send_body(200, body, content_type)
            return
        if path.startswith("/bench/"):
            self._bench(handler, path.removeprefix("/bench/"))
        elif path.startswith("/status/"):
            self._status(handler, path.removeprefix("/status/"))
        elif path.startswith("/redirect-chain/"):
            self._chain(handler, path.removeprefix("/redirect-chain/"))
        else:
            self._fault(handler, path)

    def _fault(self, handler: _Handler, path: str) -> None:
        """The fixed pages that misbehave: too big, too slow, redirecting somewhere bad."""
        if path == "/huge":
            handler.send_chunked(_HTML, _generated(HUGE_BYTES))
        elif path == "/huge-declared":
            handler.send_chunked(_HTML, _generated(HUGE_BYTES), length=HUGE_BYTES)
        elif path == "/slow":
            if not self.stopping.wait(self.slow_seconds):
                handler.send_body(200, _article_html().encode())
        elif path == "/slow-body":
            handler.send_chunked(_HTML, self._stalling_body())
        elif path == "/redirect-loop":
            handler.send_redirect("/redirect-loop")
        elif path == "/redirect-internal":
            handler.send_redirect("http://169.254.169.254/latest/meta-data/")
        elif path == "/redirect-private":
            handler.send_redirect("http://10.0.0.1/")
        else:
            handler.send_body(404, b"<html><body><h1>Not found</h1></body></html>")

    def _stalling_body(self):
        yield b"<!DOCTYPE html><html><body><p>The first part arrives at once.</p>"
        self.stopping.wait(self.slow_seconds)
        yield b"<p>The rest arrives far too late.</p></body></html>"

    def _bench(self, handler: _Handler, page_id: str) -> None:
        file = self.bench_dir / f"{page_id}.html.gz"
        if not _BENCH_ID.match(page_id) or not file.is_file():
            handler.send_body(404, b"<html><body>No such benchmark page</body></html>")
            return
        handler.send_body(200, gzip.decompress(file.read_bytes()), _HTML)

    def _status(self, handler: _Handler, code_text: str) -> None:
        code = int(code_text) if code_text.isdigit() else 0
        if not 200 <= code <= 599:
            handler.send_body(400, b"<html><body>Bad status code</body></html>")
            return
        body = f"<html><body><h1>HTTP {code}</h1><p>Status page.</p></body></html>".encode()
        handler.send_body(code, body)

    def _chain(self, handler: _Handler, hops_text: str) -> None:
        hops = int(hops_text) if hops_text.isdigit() else -1
        if hops < 0:
            handler.send_body(400, b"<html><body>Bad hop count</body></html>")
        elif hops == 0:
            handler.send_body(200, _article_html().encode())
        else:
            handler.send_redirect(f"/redirect-chain/{hops - 1}")


def _page(render: Any, content_type: str = _HTML):
    return lambda: (render().encode("utf-8"), content_type)


_STATIC_PAGES = {
    "/article": _page(_article_html),
    "/article-fr": _page(_article_fr_html),
    "/paywall": _page(_paywall_html),
    "/js-only": _page(_js_only_html),
    "/login": _page(_login_html),
    "/tidal": _page(lambda: markdown_to_html(SAMPLE_ARTICLE.read_text(encoding="utf-8"))),
    "/pdf": lambda: (make_pdf("Water quality report", PDF_PARAGRAPHS), "application/pdf"),
    "/binary": lambda: (BINARY_BODY, "application/octet-stream"),
    "/image.png": lambda: (make_png(), "image/png"),
}
