"""Reading article files: plain text (with an optional ``date`` header) and JSON Lines.

Every error is an IngestError whose message starts with ``file:line:`` (or ``file:``
when no line applies), so the CLI can print it as-is. Messages are in English.
Text is kept verbatim apart from ``\\r\\n`` -> ``\\n`` and stripping, because facts are
quoted back to the user exactly as written.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from faktabot.knowledge.errors import IngestError
from faktabot.knowledge.model import ArticleInput

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_BOM = "\ufeff"
# C0/C1 control characters except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# "date <something that starts with a digit>" at the very start; validated separately so
# that "date 2024-13" is an error instead of silently becoming part of the text.
_HEADER = re.compile(r"date[ \t]+(\d\S*)(?:[ \t]*\n|[ \t]+|$)")
_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def parse_text(
    raw: str,
    *,
    title: str | None = None,
    url: str | None = None,
    source: str | None = None,
) -> ArticleInput:
    """Turn the text of one article file into an ArticleInput.

    A leading ``date YYYY-MM`` or ``date YYYY-MM-DD`` header (possibly on the same line as
    the first sentence, as in the bundled seed article) becomes the article date.
    """
    where = source or "<text>"
    raw = raw.removeprefix(_BOM)
    _reject_controls(raw, where)
    text = raw.replace("\r\n", "\n").strip()
    date = None
    header = _HEADER.match(text)
    if header:
        date = _parse_date(header.group(1), where, allow_time=False)
        text = text[header.end() :].strip()
    return _article(text, where, title=title, date=date, url=url, source=source)


def read_articles(
    path: str | Path,
    *,
    title: str | None = None,
    url: str | None = None,
) -> Iterator[ArticleInput]:
    """Yield the articles in `path`, lazily, raising IngestError at the first bad one.

    ``.jsonl``/``.ndjson`` files hold one article a line; any other file is one article
    of plain text. For JSON Lines, `title` and `url` are defaults for lines without them.
    """
    path = Path(path)
    if path.suffix.lower() in JSONL_SUFFIXES:
        yield from _read_jsonl(path, title=title, url=url)
    else:
        data = _read_bytes(path)
        text = _decode(data, str(path), offset=0)
        yield parse_text(text, title=title, url=url, source=str(path))


def parse_bytes(data: bytes, name: str, *, title: str | None = None) -> list[ArticleInput]:
    """Every article in an uploaded file's bytes, read like `read_articles` reads `name`.

    The whole file is parsed before anything is returned, so a bad line anywhere means no
    article at all. Errors name the file and line, as for files on disk.
    """
    if Path(name).suffix.lower() in JSONL_SUFFIXES:
        return list(_jsonl_records(io.BytesIO(data), name, title=title, url=None))
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise IngestError(f"{name}:{line}: binary file, not text (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise IngestError(
            f"{name}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from e
    return [parse_text(text, title=title, source=name)]


# --- JSON Lines --------------------------------------------------------------------------


def _read_jsonl(path: Path, *, title: str | None, url: str | None) -> Iterator[ArticleInput]:
    """One article a JSON object a line; blank lines are skipped."""
    try:
        f = path.open("rb")
    except OSError as e:
        raise IngestError(f"{path}: cannot read ({e.strerror or e})") from e
    with f:
        yield from _jsonl_records(f, str(path), title=title, url=url)


def _jsonl_records(
    lines: Iterable[bytes], source: str, *, title: str | None, url: str | None
) -> Iterator[ArticleInput]:
    """The articles in JSON Lines `lines` (bytes, newline included), named `source:line`."""
    offset = 0
    for lineno, data in enumerate(lines, start=1):
        where = f"{source}:{lineno}"
        if b"\x00" in data:
            raise IngestError(f"{where}: binary data (NUL byte), not JSON Lines")
        line = _decode(data, where, offset=offset)
        offset += len(data)
        if lineno == 1:
            line = line.removeprefix(_BOM)
        if not line.strip():
            continue
        yield _article_from_json(line, where, title=title, url=url)


def _article_from_json(
    line: str, where: str, *, title: str | None, url: str | None
) -> ArticleInput:
    """Validate one JSONL record and build its ArticleInput."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise IngestError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from e
    if not isinstance(record, dict):
        raise IngestError(f"{where}: expected a JSON object, got {type(record).__name__}")
    text = _string_field(record, "text", where)
    if text is None:
        raise IngestError(f'{where}: missing "text"')
    if not text.strip():
        raise IngestError(f'{where}: "text" is empty')
    _reject_controls(text, where, field="text")
    raw_date = _string_field(record, "date", where)
    date = _parse_date(raw_date.strip(), where, allow_time=True) if raw_date else None
    return _article(
        text.replace("\r\n", "\n").strip(),
        where,
        title=_string_field(record, "title", where) or title,
        date=date,
        url=_string_field(record, "url", where) or url,
        source=where,
    )


def _string_field(record: dict[str, Any], key: str, where: str) -> str | None:
    """record[key] if it is a string, None if absent or null; anything else is an error."""
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise IngestError(f'{where}: "{key}" must be a string, not {type(value).__name__}')


# --- shared validation -------------------------------------------------------------------


def _article(
    text: str,
    where: str,
    *,
    title: str | None,
    date: str | None,
    url: str | None,
    source: str | None,
) -> ArticleInput:
    """Final checks shared by both formats."""
    if not any(ch.isalpha() for ch in text):
        what = "is empty" if not text else "contains no letters"
        raise IngestError(f"{where}: the article text {what}")
    if title is not None:
        _reject_controls(title, where, field="title")
        title = " ".join(title.split()) or None
    if url is not None:
        url = check_url(url.strip(), where) if url.strip() else None
    return ArticleInput(text=text, title=title, date=date, url=url, source=source)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; missing files, directories and binary files are IngestErrors."""
    try:
        data = path.read_bytes()
    except IsADirectoryError as e:
        raise IngestError(f"{path}: is a directory, not a file") from e
    except FileNotFoundError as e:
        raise IngestError(f"{path}: no such file") from e
    except OSError as e:
        raise IngestError(f"{path}: cannot read ({e.strerror or e})") from e
    nul = data.find(b"\x00")
    if nul >= 0:
        raise IngestError(f"{path}: binary file, not text (NUL byte at offset {nul})")
    return data


def _decode(data: bytes, where: str, *, offset: int) -> str:
    """Strict UTF-8; the error names the first bad byte and its offset in the file."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = data[e.start]
        raise IngestError(
            f"{where}: not UTF-8 text (byte 0x{bad:02x} at offset {offset + e.start})"
        ) from e


def _reject_controls(text: str, where: str, *, field: str | None = None) -> None:
    """Control characters break terminals and the Telegram API; refuse them early."""
    m = _CONTROL.search(text)
    if m is None:
        return
    code = f"U+{ord(m.group()):04X}"
    if field is not None:  # JSONL: `where` already names the line
        raise IngestError(f'{where}: control character {code} in "{field}"')
    line = text.count("\n", 0, m.start()) + 1
    raise IngestError(f"{where}:{line}: control character {code} is not allowed")


def _parse_date(value: str, where: str, *, allow_time: bool) -> str:
    """Validate YYYY-MM or YYYY-MM-DD (and, if allowed, a full ISO timestamp).

    Returns the date part exactly as given: "2024-03" stays a month.
    """
    if allow_time and len(value) > 10 and value[10] in "T ":
        try:
            dt.datetime.fromisoformat(value)
        except ValueError as e:
            raise IngestError(f"{where}: invalid date {value!r} ({e})") from e
        value = value[:10]
    m = _DATE.fullmatch(value)
    if m is None:
        raise IngestError(f"{where}: invalid date {value!r}; expected YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    try:
        dt.date(year, month, day)
    except ValueError as e:
        raise IngestError(f"{where}: invalid date {value!r} ({e})") from e
    return value


def check_url(url: str, where: str) -> str:
    """Only http(s) links with a host are shown to users as sources."""
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise IngestError(f"{where}: invalid url {url!r} ({e})") from e
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise IngestError(f"{where}: invalid url {url!r}; expected an http:// or https:// link")
    if any(ch.isspace() for ch in url) or _CONTROL.search(url):
        raise IngestError(f"{where}: invalid url {url!r}; it contains whitespace")
    return url
