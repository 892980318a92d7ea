"""Tests for knowledge.parse: text and JSON Lines article files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faktabot.knowledge.errors import IngestError
from faktabot.knowledge.parse import parse_text, read_articles

SEED = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "seed_article.txt"


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def _one(path: Path, **kwargs: str) -> object:
    articles = list(read_articles(path, **kwargs))
    assert len(articles) == 1
    return articles[0]


# --- plain text --------------------------------------------------------------------------


def test_seed_article_header_on_the_same_line() -> None:
    article = _one(SEED)
    assert article.date == "2024-03"
    assert article.text.startswith("Det Hvide Hus siger mandag, at det er perpleks")
    assert article.text.endswith("siger Pat Ryder, der er talsmand for Pentagon.")
    assert "date" not in article.text[:20]
    assert article.source == str(SEED)
    assert article.title is None and article.url is None


@pytest.mark.parametrize(
    ("raw", "date", "text"),
    [
        (" date 2024-03 Det Hvide Hus siger.", "2024-03", "Det Hvide Hus siger."),
        ("date 2024-03\nDet Hvide Hus siger.", "2024-03", "Det Hvide Hus siger."),
        ("\n  date 2024-03\r\n\r\nFørste.\r\nAnden.\r\n", "2024-03", "Første.\nAnden."),
        ("date 2024-03-25 Tekst her.", "2024-03-25", "Tekst her."),
        ("date 2024-02-29\nSkudår.", "2024-02-29", "Skudår."),
        ("Ingen header her.\n", None, "Ingen header her."),
        ("Opdateret date 2024-03 midt i teksten.", None, "Opdateret date 2024-03 midt i teksten."),
        ("\ufeffdate 2024-03 Med BOM.", "2024-03", "Med BOM."),
    ],
)
def test_parse_text_header(raw: str, date: str | None, text: str) -> None:
    article = parse_text(raw, title="T", url="https://dr.dk/a", source="a.txt")
    assert (article.date, article.text) == (date, text)
    assert (article.title, article.url, article.source) == ("T", "https://dr.dk/a", "a.txt")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("date 2024-13 Tekst.", "a.txt: invalid date '2024-13'"),
        ("date 2024-00 Tekst.", "a.txt: invalid date '2024-00'"),
        ("date 2023-02-29 Tekst.", "a.txt: invalid date '2023-02-29'"),
        ("date 2024-3 Tekst.", "a.txt: invalid date '2024-3'"),
        ("date 2024-03", "a.txt: the article text is empty"),
        ("", "a.txt: the article text is empty"),
        (" \n\t\n", "a.txt: the article text is empty"),
        ("😀🎉 👍", "a.txt: the article text contains no letters"),
        ("123 456 !?", "a.txt: the article text contains no letters"),
        ("Linje et.\nLinje\x07 to.", "a.txt:2: control character U+0007 is not allowed"),
        ("Tekst\x1b[31m rød.", "a.txt:1: control character U+001B is not allowed"),
        ("Tekst\x85 her.", "a.txt:1: control character U+0085 is not allowed"),
    ],
)
def test_parse_text_errors(raw: str, message: str) -> None:
    with pytest.raises(IngestError) as info:
        parse_text(raw, source="a.txt")
    assert str(info.value).startswith(message)


def test_parse_text_keeps_tabs_and_text_verbatim() -> None:
    raw = "Første\tlinje.\n\nAnden  linje med  mellemrum.\r"
    assert parse_text(raw).text == "Første\tlinje.\n\nAnden  linje med  mellemrum."


@pytest.mark.parametrize("url", ["ftp://dr.dk/a", "dr.dk/a", "javascript:alert(1)", "https://"])
def test_parse_text_rejects_bad_url(url: str) -> None:
    with pytest.raises(IngestError, match="invalid url"):
        parse_text("Tekst.", url=url, source="a.txt")


def test_read_text_file_with_kwargs(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.md", "date 2024-03-01\n\nNoget skete.\r\n")
    article = _one(path, title="Overskrift", url="http://example.com/x")
    assert article.text == "Noget skete."
    assert article.date == "2024-03-01"
    assert (article.title, article.url, article.source) == (
        "Overskrift",
        "http://example.com/x",
        str(path),
    )


def test_read_text_file_drops_bom(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.txt", "\ufeffdate 2024-03 Hej verden.".encode())
    article = _one(path)
    assert (article.date, article.text) == ("2024-03", "Hej verden.")


def test_read_text_file_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.txt", b"Hello world\n\xffmore")
    with pytest.raises(IngestError) as info:
        list(read_articles(path))
    assert str(info.value) == f"{path}: not UTF-8 text (byte 0xff at offset 12)"


def test_read_latin1_file_is_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, "latin1.txt", "Blåbærgrød".encode("latin-1"))
    with pytest.raises(IngestError, match=r"not UTF-8 text \(byte 0xe5 at offset 2\)"):
        list(read_articles(path))


def test_read_binary_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(IngestError, match=r"image\.txt: binary file, not text \(NUL byte"):
        list(read_articles(path))


@pytest.mark.parametrize("content", ["", "\n\n   \n", "\ufeff"])
def test_read_empty_file(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path, "empty.txt", content)
    with pytest.raises(IngestError, match=r"empty\.txt: the article text is empty"):
        list(read_articles(path))


def test_read_emoji_only_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "emoji.txt", "🔥🔥🔥\n")
    with pytest.raises(IngestError, match="no letters"):
        list(read_articles(path))


def test_read_control_characters(tmp_path: Path) -> None:
    path = _write(tmp_path, "ctl.txt", "Første linje.\nAnden\x0c linje.")
    with pytest.raises(IngestError, match=r"ctl\.txt:2: control character U\+000C"):
        list(read_articles(path))


def test_read_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        list(read_articles(tmp_path / "missing.txt"))
    with pytest.raises(IngestError, match="is a directory"):
        list(read_articles(tmp_path))


# --- JSON Lines --------------------------------------------------------------------------


def _jsonl(tmp_path: Path, *lines: object, name: str = "news.jsonl") -> Path:
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    return _write(tmp_path, name, text + "\n")


def test_jsonl_good_file(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path,
        {"text": " Første artikel.\r\nAnden linje. ", "title": "En", "url": "https://dr.dk/1"},
        "",
        "   ",
        {"text": "Anden artikel.", "date": "2024-03-25T14:30:00+01:00", "id": 7},
        {"text": "Tredje artikel.", "date": "2024-03", "title": None, "url": None},
        {"text": "Fjerde.", "date": "2024-03-26"},
    )
    articles = list(read_articles(path))
    assert [a.text for a in articles] == [
        "Første artikel.\nAnden linje.",
        "Anden artikel.",
        "Tredje artikel.",
        "Fjerde.",
    ]
    assert [a.date for a in articles] == [None, "2024-03-25", "2024-03", "2024-03-26"]
    assert [a.title for a in articles] == ["En", None, None, None]
    assert articles[0].url == "https://dr.dk/1"
    assert [a.source for a in articles] == [f"{path}:{n}" for n in (1, 4, 5, 6)]


def test_jsonl_kwargs_are_defaults(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, {"text": "A.", "title": "Egen"}, {"text": "B."}, name="x.ndjson")
    articles = list(read_articles(path, title="Fælles", url="https://x.dk"))
    assert [a.title for a in articles] == ["Egen", "Fælles"]
    assert {a.url for a in articles} == {"https://x.dk"}


def test_jsonl_with_bom(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.jsonl", '\ufeff{"text": "Hej."}\n')
    assert [a.text for a in read_articles(path)] == ["Hej."]


def test_jsonl_is_lazy(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, {"text": "God."}, "{broken")
    articles = read_articles(path)
    assert next(articles).text == "God."
    with pytest.raises(IngestError, match=r"news\.jsonl:2: not valid JSON"):
        next(articles)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"title": "Uden tekst"}, 'missing "text"'),
        ({"text": None}, 'missing "text"'),
        ({"text": "  "}, '"text" is empty'),
        ({"text": 42}, '"text" must be a string, not int'),
        ({"text": "🙂"}, "the article text contains no letters"),
        ({"text": "Hej.", "title": ["x"]}, '"title" must be a string, not list'),
        ({"text": "Hej.", "url": "ftp://dr.dk"}, "invalid url 'ftp://dr.dk'"),
        ({"text": "Hej.", "url": "www.dr.dk/nyheder"}, "invalid url"),
        ({"text": "Hej.", "date": "2024-13-01"}, "invalid date '2024-13-01'"),
        ({"text": "Hej.", "date": "25-03-2024"}, "invalid date '25-03-2024'"),
        ({"text": "Hej.", "date": "2024-03-25T25:00"}, "invalid date '2024-03-25T25:00'"),
        ({"text": "Hej\u0007."}, 'control character U+0007 in "text"'),
        ({"text": "Hej.", "title": "A\u0000B"}, 'control character U+0000 in "title"'),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"text": "Hej."', "not valid JSON ("),
        ("not json", "not valid JSON ("),
    ],
)
def test_jsonl_bad_line(tmp_path: Path, line: object, message: str) -> None:
    path = _jsonl(tmp_path, {"text": "God linje."}, "", line)
    articles = read_articles(path)
    assert next(articles).text == "God linje."
    with pytest.raises(IngestError) as info:
        next(articles)
    assert str(info.value).startswith(f"{path}:3: ")
    assert message in str(info.value)


def test_jsonl_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.jsonl", b'{"text": "ok"}\n{"text": "\xff"}\n')
    with pytest.raises(IngestError) as info:
        list(read_articles(path))
    assert str(info.value) == f"{path}:2: not UTF-8 text (byte 0xff at offset 25)"


def test_jsonl_binary(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.jsonl", b'{"text": "ok"}\n\x00\x01\x02\n')
    with pytest.raises(IngestError, match=r"x\.jsonl:2: binary data"):
        list(read_articles(path))


def test_jsonl_raw_control_character_is_invalid_json(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.jsonl", '{"text": "a\x07b"}\n')
    with pytest.raises(IngestError, match=r"x\.jsonl:1: not valid JSON \(Invalid control"):
        list(read_articles(path))
