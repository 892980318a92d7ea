"""A small web site on 127.0.0.1 for the tests of fetching pages and feeds.

Each path serves what a test puts there: a page or feed body with its Content-Type,
an HTTP status, a redirect, a body far too large, or no answer at all. It answers
conditional GETs as a real server does (ETag / If-None-Match, Last-Modified /
If-Modified-Since), and it counts the requests each path got and keeps their headers,
so tests can check that the fetcher was polite.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Wed, 01 Jan 2025 08:00:00 GMT"


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None  # a redirect's target
    hang: bool = False  # accept the request and never answer
    huge: int = 0  # stream this many bytes of filler instead of `body`
    validators: bool = True  # send an ETag and Last-Modified (and honour them)
    headers: dict[str, str] = field(default_factory=dict)


class WebSite:
    """Serve `Route`s by path; `url(path)` is the address of one."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.seen_headers: list[dict[str, str]] = []
        self._stop = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # http.server writes headers and body apart; with Nagle's algorithm on, the
            # body waits for the client's delayed ACK (about 45 ms a request).
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                site.serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WebSite:
        self.thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def put(self, path: str, body: str | bytes = b"", **options: object) -> str:
        """Serve `body` at `path` (str bodies as UTF-8); returns the path's address."""
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **options)  # type: ignore[arg-type]
        return self.url(path)

    def put_feed(self, path: str, title: str, items: list[tuple[str, str, str]]) -> str:
        """Serve an RSS feed of (title, link, pubDate) items at `path`."""
        return self.put(path, rss(title, items), content_type="application/rss+xml")

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        self.hits[path] += 1
        self.seen_headers.append(dict(handler.headers))
        route = self.routes.get(path)
        if route is None:
            return self._send(handler, 404, b"not found", "text/plain")
        if route.hang:
            self._stop.wait(60)
            return None
        if route.location is not None:
            return self._send(handler, route.status or 302, b"", "text/plain", route.location)
        if route.huge:
            return self._stream(handler, route)
        headers = dict(route.headers)
        if route.validators and route.status == 200:
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
            if handler.headers.get("If-None-Match") == etag:
                return self._send(handler, 304, b"", route.content_type, headers=headers)
        return self._send(handler, route.status, route.body, route.content_type, headers=headers)

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        location: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if location is not None:
            handler.send_header("Location", location)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status != 304:
            handler.wfile.write(body)

    def _stream(self, handler: BaseHTTPRequestHandler, route: Route) -> None:
        """A body of `route.huge` bytes with no Content-Length: only counting stops it."""
        handler.send_response(200)
        handler.send_header("Content-Type", route.content_type)
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"<p>" + b"fyld " * 200 + b"</p>\n"
        sent = 0
        try:
            while sent < route.huge and not self._stop.is_set():
                handler.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        handler.close_connection = True


def page(
    title: str, paragraphs: list[str], *, date: str | None = None, canonical: str | None = None
) -> str:
    """An article page as news sites write them: navigation, the article, a footer."""
    head = [f"<title>{title} | Testavisen</title>", '<meta charset="utf-8">']
    if date:
        head.append(f'<meta property="article:published_time" content="{date}T08:00:00+01:00">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return (
        "<!doctype html><html lang='da'><head>" + "".join(head) + "</head><body>"
        "<nav><a href='/'>Forside</a> <a href='/sport'>Sport</a> <a href='/vejr'>Vejr</a></nav>"
        f"<article><h1>{title}</h1>\n{body}</article>"
        "<footer>Testavisen · Alle rettigheder forbeholdes · Kontakt redaktionen</footer>"
        "</body></html>"
    )


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 feed of (title, link, pubDate) items."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{when}</pubDate></item>"
        for t, link, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link><description>test</description>"
        f"{entries}</channel></rss>"
    )
