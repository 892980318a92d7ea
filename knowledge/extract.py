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
from functools import cache
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
    import trafilatura  # 0.4 s to import: only commands that fetch pay for it

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = (document.text or "").strip() if document is not None else ""
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
    date = document.date if _DAY.fullmatch(document.date or "") else None
    article = parse_text("\n\n".join(paragraphs), title=title, url=canonical, source=url)
    return ArticleInput(article.text, article.title, date, article.url, url)


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
    if parts.scheme not in {"http", "https"} or host.removeprefix("www.") != want.removeprefix(
        "www."
    ):
        return fetched
    return canonical
