"""An article from a web page: its text, title, date and canonical address.

The main text, title and date are found by trafilatura, which strips menus, footers and
comments and reads the date from the page's metadata. The text is kept as trafilatura
gives it, one paragraph a line, with a blank line between paragraphs, because facts are
quoted back verbatim. A page with too little text, or with a short text that talks of
cookies, consent or logging in, is refused: it is a wall in front of the article, not
the article.
"""

from __future__ import annotations

import logging
import re
from configparser import ConfigParser
from datetime import UTC, datetime, timedelta
from functools import cache
from html import unescape
from urllib.parse import urlsplit

from .errors import IngestError
from .lexicon import DATA, read_lines
from .model import ArticleInput
from .normalize import fold
from .parse import parse_text

logger = logging.getLogger(__name__)

MIN_CHARS = 80  # less than this is no article (a title and a line at most)
WALL_CHARS = 1200  # a text this short that talks of cookies or logins is a wall …
WALL_CUES = 2  # … when it uses this many of the words in data/walls.txt
_SENTENCE_END = re.compile(r"[.!?…»\"”]")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_HIDDEN = re.compile(r"(?is)<(script|style|noscript|template)\b.*?</\1\s*>")
_TAG = re.compile(r"<[^>]*>")
MIN_LEAD_CHARS = 30


class NoArticleError(IngestError):
    """The page holds no article text (a cookie wall, a login, a list of links)."""


@cache
def _wall_words() -> re.Pattern[str]:
    words = sorted((fold(w) for w in read_lines(DATA / "walls.txt")), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")")


def article_from_html(html: str, url: str) -> ArticleInput:
    """The article on a page fetched from `url` (after redirects); NoArticleError if none.

    Its address is the page's canonical link when that points to the same site (an
    article is known by it: a second fetch of the same story replaces the first), else
    `url`.
    """
    import trafilatura  # slow to import: only commands that fetch pay for it

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        # The date of the version fetched (an update's, else the first publication's):
        # "Ifølge artiklen fra …" and the newest-first rule are about the text quoted.
        date_extraction_params={"extensive_search": False, "original_date": False},
        config=_settings(),
    )
    text = (document.text or "").strip() if document is not None else ""
    lead = _visible_lead(document.description if document is not None else None, html, text)
    if lead:
        text = f"{lead}\n{text}"
    if len(text) < MIN_CHARS or not _SENTENCE_END.search(text):
        raise NoArticleError(f"{url}: no article text on the page")
    if len(text) < WALL_CHARS and len(set(_wall_words().findall(fold(text)))) >= WALL_CUES:
        raise NoArticleError(
            f"{url}: the page shows a cookie consent, login or paywall, not the article"
        )
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    title = (document.title or "").strip() or None
    if title and len(paragraphs) > 1 and _same_words(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # the headline is the title, not a sentence of the article
    canonical = _same_site(document.url, url) if document.url else url
    if urlsplit(canonical).path in {"", "/"}:
        # A site's front page is no article, and every story sent there (a redirect to
        # the front page or a login) would take the place of the one before.
        raise NoArticleError(f"{url}: the page is the site's front page, not an article")
    date = believable_date(document.date if _DAY.fullmatch(document.date or "") else None)
    article = parse_text("\n\n".join(paragraphs), title=title, url=canonical, source=url)
    return ArticleInput(article.text, article.title, date, article.url, url)


@cache
def _settings() -> ConfigParser:
    """trafilatura's defaults, but a short brief is an article too: below 250 characters
    of main text it falls back to a reading that glues headline, lead and paragraphs into
    one line, and faktabot's sentences would no longer be the page's."""
    from trafilatura.settings import use_config

    settings = use_config()
    settings.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(MIN_CHARS))
    return settings


def _visible_lead(description: str | None, html: str, text: str) -> str | None:
    """The page's description when it is its lead: shown on the page (not only in a
    <meta> tag or a script), and missing from the extracted text. News pages often set
    the lead above the article body, where the extraction does not look, and it tends to
    hold the story's main fact."""
    lead = " ".join((description or "").split())
    if len(lead) < MIN_LEAD_CHARS or not _SENTENCE_END.search(lead[-1]):
        return None
    if fold(lead) in fold(" ".join(text.split())):
        return None
    shown = unescape(_TAG.sub(" ", _HIDDEN.sub(" ", html)))
    return lead if lead in " ".join(shown.split()) else None


def _same_words(a: str, b: str) -> bool:
    return fold(" ".join(a.split())) == fold(" ".join(b.split()))


def _same_site(canonical: str, fetched: str) -> str:
    """The canonical link if it stays on the fetched page's site (a page cannot claim to
    be another site's article and so replace it), else the fetched address."""
    want = urlsplit(fetched).hostname or ""
    try:
        parts = urlsplit(canonical)
    except ValueError:
        return fetched
    host = parts.hostname or ""
    elsewhere = host.removeprefix("www.") != want.removeprefix("www.")
    if parts.scheme not in {"http", "https"} or elsewhere or parts.path in {"", "/"}:
        return fetched  # a misconfigured page names the front page as every page's own
    return canonical


def believable_date(date: str | None, now: datetime | None = None) -> str | None:
    """A YYYY-MM-DD date unless it lies after tomorrow: a wrong clock or a typo on a
    page must not make its article the newest for years."""
    now = now or datetime.now(UTC)
    if date is None or date > (now + timedelta(days=1)).date().isoformat():
        return None
    return date
