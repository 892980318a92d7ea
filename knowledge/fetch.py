"""Polite HTTP fetching of pages and feeds an operator points faktabot at.

One `Fetcher` holds one connection pool. Every request names the project in its
User-Agent, may be conditional (ETag / Last-Modified, so an unchanged feed costs a
304 and no body), has a connect and a read timeout and a deadline for the whole body
(a server that trickles bytes cannot hold a poll), stops reading past a size cap and
follows a few redirects at most. Every failure is a `FetchError` with one line that says
what happened, in English for logs and the CLI, and a short `kind` the bot turns into
Danish.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import httpx

from .errors import FaktabotError

MAX_BYTES = 5 * 2**20  # a news page or feed is far smaller; a bigger body is refused
CONNECT_SECONDS = 10.0
READ_SECONDS = 20.0  # between two pieces of the body
DEADLINE_SECONDS = 30.0  # for the whole response, however slowly it arrives
MAX_REDIRECTS = 5
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def own_version() -> str:
    """faktabot's installed version ("dev" in a source tree that was never installed)."""
    try:
        return version("faktabot")
    except PackageNotFoundError:
        return "dev"


def user_agent() -> str:
    return f"faktabot/{own_version()} (a Danish news fact-lookup bot; polite fetcher)"


class FetchError(FaktabotError):
    """A page or feed could not be fetched; `kind` says why in one word."""

    def __init__(self, message: str, *, kind: str, status: int | None = None) -> None:
        super().__init__(message)
        # "http", "timeout", "too_big", "redirects", "network", "url", "private"
        self.kind = kind
        self.status = status


@dataclass(frozen=True, slots=True)
class Page:
    """What a GET brought back; `body` is empty when `unchanged` (HTTP 304)."""

    url: str  # after redirects
    status: int
    body: bytes
    content_type: str = ""
    charset: str | None = None  # as the server declared it, if it did
    etag: str | None = None
    modified: str | None = None

    @property
    def unchanged(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body decoded: the declared charset, else the page's own <meta>, else UTF-8
        (with Windows-1252 for the odd byte that is not)."""
        for name in (self.charset, _meta_charset(self.body)):
            if name:
                try:
                    return self.body.decode(name, errors="replace")
                except (LookupError, UnicodeError):  # unknown, or no text codec ("idna")
                    continue
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            return self.body.decode("cp1252", errors="replace")


class Fetcher:
    """GET with the manners above; use as a context manager, or call close()."""

    def __init__(
        self,
        *,
        max_bytes: int = MAX_BYTES,
        connect_seconds: float = CONNECT_SECONDS,
        read_seconds: float = READ_SECONDS,
        deadline_seconds: float = DEADLINE_SECONDS,
        allow_private: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.deadline_seconds = deadline_seconds
        self.allow_private = allow_private
        self.client = httpx.Client(
            headers={"User-Agent": user_agent(), "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(read_seconds, connect=connect_seconds),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            transport=transport,
            trust_env=False,  # proxies from the environment would change where tests go
            event_hooks={"request": [self._check_host]},  # every hop of a redirect too
        )

    def _check_host(self, request: httpx.Request) -> None:
        """Refuse an address on this machine or its private network, unless allowed.

        A feed's publisher chooses its item links and redirects: without this, a feed
        could have faktabot fetch (and quote to anyone) what only the server can reach,
        such as a cloud's metadata service or an intranet page.
        """
        if self.allow_private:
            return
        host = request.url.host
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return  # the request itself fails with a clear error
        for *_, address in found:
            ip = ipaddress.ip_address(address[0].split("%", 1)[0])
            if not ip.is_global:
                raise FetchError(
                    f"{request.url}: {host} is a private or local address; set "
                    "FAKTABOT_FETCH_PRIVATE=1 to fetch from it",
                    kind="private",
                )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, etag: str | None = None, modified: str | None = None) -> Page:
        """Fetch `url`; with `etag`/`modified`, an unchanged resource comes back as 304."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                return self._read(url, response)
        except FetchError:
            raise
        except httpx.TooManyRedirects as exc:
            raise FetchError(
                f"{url}: more than {MAX_REDIRECTS} redirects (a redirect loop?)", kind="redirects"
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url}: no answer in time ({_name(exc)})", kind="timeout") from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL, UnicodeError, ValueError) as exc:
            # UnicodeError: a host name IDNA cannot encode ("xn--zz.dk"), here or redirected
            raise FetchError(f"{url}: not a web address faktabot can fetch", kind="url") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {exc or _name(exc)}", kind="network") from exc

    def _read(self, url: str, response: httpx.Response) -> Page:
        if response.status_code == 304:
            return self._page(response, b"")
        if response.status_code >= 400:
            phrase = response.reason_phrase or ""
            raise FetchError(
                f"{url}: HTTP {response.status_code} {phrase}".rstrip(),
                kind="http",
                status=response.status_code,
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_big(url)
        started = time.monotonic()
        body = bytearray()
        for piece in response.iter_bytes():
            body += piece
            if len(body) > self.max_bytes:
                raise self._too_big(url)
            if time.monotonic() - started > self.deadline_seconds:
                raise FetchError(
                    f"{url}: the body took longer than {self.deadline_seconds:g} s",
                    kind="timeout",
                )
        return self._page(response, bytes(body))

    def _too_big(self, url: str) -> FetchError:
        return FetchError(
            f"{url}: larger than {self.max_bytes // 2**20} MB; not read", kind="too_big"
        )

    @staticmethod
    def _page(response: httpx.Response, body: bytes) -> Page:
        content_type = response.headers.get("Content-Type", "")
        return Page(
            url=str(response.url),
            status=response.status_code,
            body=body,
            content_type=content_type.split(";")[0].strip().lower(),
            charset=response.charset_encoding,
            etag=response.headers.get("ETag"),
            modified=response.headers.get("Last-Modified"),
        )


def _meta_charset(body: bytes) -> str | None:
    m = _CHARSET.search(body[:4096])
    return m.group(1).decode("ascii") if m else None


def _name(exc: Exception) -> str:
    """httpx's timeouts often carry no message: name the kind instead."""
    return str(exc) or type(exc).__name__
