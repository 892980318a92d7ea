"""Unit tests for bot.render: escaping, span bolding, source lines and Telegram's limits.

The fake Bot API's HTML parser stands in for Telegram: whatever render produces must parse
there and stay within 4,096 visible characters (UTF-16 units).
"""

from __future__ import annotations

import html

import pytest
from fake_bot_api import parse_html, utf16_len
from faktabot.bot import render
from faktabot.knowledge import Knowledge, Store
from faktabot.knowledge.model import Answer, Article, Explanation, Fact, Hit, Result
from hypothesis import given, settings
from hypothesis import strategies as st

SPECIAL = "Tom & Jerry sagde \"<nej>\" til 'AT&T' &amp; &lt;b&gt;"


def article(**kw: object) -> Article:
    fields = {"id": 1, "title": "Israel aflyser besøg", "date": "2024-03", "url": None}
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def fact(text: str, fact_id: int = 7, **kw: object) -> Fact:
    return Fact(fact_id, article(**kw), 0, text)


def answered(text: str, span: tuple[int, int] | None, **kw: object) -> Result:
    return Result("spørgsmål", Answer(fact(text, **kw), 0.9, span))


def telegram_ok(message: str) -> str:
    """Parse like Telegram would; return the visible text."""
    plain, _ = parse_html(message)
    assert plain.strip()
    assert utf16_len(plain) <= render.MAX_MESSAGE
    return plain


# --- escaping and spans ----------------------------------------------------------------------


def test_every_text_is_escaped() -> None:
    result = answered(SPECIAL, (0, 11), title=SPECIAL, url='https://x.dk/?a=1&b="2"')
    message = render.answer_html(result)
    plain = telegram_ok(message)
    assert SPECIAL in plain
    assert plain.count(SPECIAL) == 2  # the sentence and the title
    assert '<a href="https://x.dk/?a=1&amp;b=&quot;2&quot;">' in message
    assert "<nej>" not in message


@pytest.mark.parametrize(
    ("span", "bold"),
    [
        ((0, 3), "Pat"),
        ((4, 9), "Ryder"),
        ((16, 24), "Pentagon"),  # at the very end (no full stop after it)
        ((0, 24), "Pat Ryder taler Pentagon"),  # the whole sentence
    ],
)
def test_span_is_bold_at_the_edges(span: tuple[int, int], bold: str) -> None:
    text = "Pat Ryder taler Pentagon"
    message = render.answer_html(answered(text, span))
    assert f"<b>{bold}</b>" in message
    assert telegram_ok(message).startswith(text)


def test_special_characters_inside_the_span() -> None:
    text = "Firmaet hedder <AT&T> nu."
    message = render.answer_html(answered(text, (15, 21)))
    assert "<b>&lt;AT&amp;T&gt;</b>" in message
    _, entities = parse_html(message)
    assert {"type": "bold", "offset": 15, "length": 6} in entities


@pytest.mark.parametrize("span", [None, (5, 5), (6, 2), (-1, 3), (0, 999)])
def test_unusable_span_gives_no_bold(span: tuple[int, int] | None) -> None:
    message = render.answer_html(answered("Pat Ryder taler.", span))
    assert "<b>" not in message
    assert "Pat Ryder taler." in telegram_ok(message)


def test_span_offsets_count_characters_not_utf16_units() -> None:
    text = "😀 Pat Ryder 😀"
    message = render.answer_html(answered(text, (2, 11)))
    assert "<b>Pat Ryder</b>" in message


# --- source lines ----------------------------------------------------------------------------


def test_source_with_url_and_full_date() -> None:
    line = render.source_html(article(url="https://dr.dk/nyheder/1", date="2024-03-25"))
    assert (
        line == 'Kilde: <a href="https://dr.dk/nyheder/1">Israel aflyser besøg</a>, 25. marts 2024'
    )


def test_source_without_url_or_date() -> None:
    assert render.source_html(article(url=None, date=None)) == "Kilde: Israel aflyser besøg"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x", "not a url", ""])
def test_unsafe_or_odd_urls_are_not_linked(url: str) -> None:
    assert "<a " not in render.source_html(article(url=url))


def test_long_or_missing_titles() -> None:
    long = render.source_html(article(title="ord " * 100))
    assert utf16_len(long) < 120 and "ord…, marts 2024" in long
    assert render.source_html(article(id=42, title="")) == "Kilde: Artikel 42, marts 2024"


@pytest.mark.parametrize(
    ("date", "shown"),
    [
        ("2024-03", "marts 2024"),
        ("2024-12-01", "1. december 2024"),
        ("2024-03-25T10:00:00", "25. marts 2024"),
        ("i går", "i går"),
        ("2024-13", "2024-13"),
        (None, None),
    ],
)
def test_format_date(date: str | None, shown: str | None) -> None:
    assert render.format_date(date) == shown


# --- the 4,096 cap ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_very_long_sentence_is_cut_keeping_the_span(where: str) -> None:
    filler = "bla & <bla> " * 800  # ~9,600 characters, full of things to escape
    text = {
        "start": "Pat Ryder " + filler,
        "middle": filler + "Pat Ryder " + filler,
        "end": filler + "Pat Ryder",
    }[where]
    start = text.index("Pat Ryder")
    message = render.answer_html(answered(text, (start, start + 9)))
    plain = telegram_ok(message)
    assert utf16_len(plain) <= 4096
    assert "<b>Pat Ryder</b>" in message
    assert "…" in plain and "Kilde: Israel aflyser besøg" in plain


def test_cut_counts_utf16_units() -> None:
    message = render.fact_html(fact("😀" * 5000))
    plain = telegram_ok(message)
    assert 4000 < utf16_len(plain) <= 4096


def test_cut_never_splits_an_entity() -> None:
    message = render.fact_html(fact("&" * 6000))
    plain = telegram_ok(message)
    assert set(plain.split("«")[0].split("\n")[0]) <= {"&", "…"}


def test_many_long_alternatives_stay_within_limits() -> None:
    hits = tuple(Hit(fact("ord " * 2000, fact_id=10**17 + i), 0.1) for i in range(50))
    result = Result("?", None, hits, Explanation(missing=("<x>",) * 40))
    message = render.no_answer_html(result)
    telegram_ok(message)
    assert "&lt;x&gt;" in message
    rows = render.keyboard_rows(result.alternatives)
    assert len(rows) == 3
    assert all(len(row[0].callback_data.encode()) <= 64 for row in rows)
    assert all(len(row[0].text) <= 48 for row in rows)
    listed = render.no_answer_html(result, with_buttons=False)
    telegram_ok(listed)
    assert listed.count("Kilde:") == 3
    assert utf16_len(render.plain_answer(result)) <= 4096


def test_truncate_html_closes_open_tags() -> None:
    cut = render.truncate_html("<b>" + "x" * 5000 + "</b> og <i>mere</i>", 100)
    assert cut == "<b>" + "x" * 99 + "…</b>"
    assert render.truncate_html("<b>kort</b>") == "<b>kort</b>"


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(min_size=1, max_size=6000).filter(str.strip),
    bounds=st.tuples(st.integers(-2, 6010), st.integers(-2, 6010)),
    title=st.text(max_size=300),
)
def test_any_answer_is_valid_telegram_html(text: str, bounds: tuple[int, int], title: str) -> None:
    message = render.answer_html(answered(text, bounds, title=title))
    telegram_ok(message)
    assert render.to_plain(message)


# --- other messages --------------------------------------------------------------------------


def test_no_answer_names_missing_words_once() -> None:
    result = Result("?", None, (), Explanation(missing=("frankrig", "frankrig", "by")))
    message = render.no_answer_html(result)
    assert message.startswith("Det ved jeg ikke")
    assert message.count("frankrig") == 1
    assert render.reply_markup(result) is None


def test_answer_mentions_corrected_words() -> None:
    result = Result(
        "?",
        Answer(fact("Pat Ryder taler."), 1, None),
        (),
        Explanation(corrected=(("ryderr", "ryder"),)),
    )
    assert "«ryderr» som «ryder»" in render.answer_html(result)


@pytest.mark.parametrize(
    ("problem", "words"),
    [("empty", "Skriv et spørgsmål"), ("too_long", "for langt"), ("no_words", "med ord")],
)
def test_results_with_a_problem(problem: str, words: str) -> None:
    assert words in render.reply_html(Result("?", None, problem=problem))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Skriv et spørgsmål"),
        ("   \n ", "Skriv et spørgsmål"),
        ("x" * 501, "for langt"),
        ("😀🙂", "med ord"),
        ("?!", "med ord"),
    ],
)
def test_question_problems(text: str, words: str) -> None:
    problem = render.question_problem(text)
    assert problem is not None and words in problem
    telegram_ok(problem)


@pytest.mark.parametrize("text", ["Hvem er talsmand?", "x" * 500, "<b>hej</b> & <script>", "1"])
def test_questions_without_problems(text: str) -> None:
    assert render.question_problem(text) is None


def test_to_plain() -> None:
    message = '<blockquote>a &amp; <b>b</b></blockquote>\nKilde: <a href="https://x.dk/?q=1&amp;r=2">T</a>'
    assert render.to_plain(message) == "»a & b«\nKilde: T (https://x.dk/?q=1&r=2)"


def test_fixed_texts_are_valid_html() -> None:
    for text in [
        render.ABOUT,
        render.UNKNOWN_COMMAND,
        render.NOT_TEXT,
        render.ASK_HINT,
        render.FLOOD_NOTICE,
        render.ERROR,
        render.help_html("faktabot"),
        render.help_html(None),
    ]:
        telegram_ok(text)
    assert all(1 <= len(d) <= 256 for _, d in render.COMMANDS)


def test_articles_list_is_capped() -> None:
    articles = [article(id=i, title=f"Artikel & nr. {i} " * 5, facts=i) for i in range(200)]
    message = render.articles_html(articles)
    telegram_ok(message)
    assert message.startswith("Jeg kender 200 artikler:")
    shown = message.count("• ")
    assert 20 < shown < 200
    assert f"… og {200 - shown} flere." in message
    assert render.articles_html([]) == render.NO_ARTICLES
    assert render.articles_html(articles[:1]).startswith("Jeg kender 1 artikel:")


def test_inline_results() -> None:
    hits = [Hit(fact(f"Sætning {i} & mere", fact_id=i), 1.0) for i in range(60)]
    results = render.inline_fact_results(hits + hits[:5])
    assert len(results) == 50
    assert len({r.id for r in results}) == 50
    for result in results:
        assert 1 <= len(result.id.encode()) <= 64
        telegram_ok(result.input_message_content.message_text)
    articles = render.inline_article_results([article(id=3, facts=15, url="https://dr.dk")])
    assert articles[0].id == "a:3" and articles[0].description == "marts 2024 · 15 sætninger"
    telegram_ok(articles[0].input_message_content.message_text)


@pytest.mark.parametrize(
    ("data", "fact_id"),
    [
        ("f:12", 12),
        ("f:", None),
        ("x:1", None),
        ("f:1x", None),
        (None, None),
        ("f:" + "9" * 19, None),
    ],
)
def test_parse_fact_button(data: str | None, fact_id: int | None) -> None:
    assert render.parse_fact_button(data) == fact_id


def test_html_escape_is_the_one_used() -> None:
    assert render.esc(SPECIAL) == html.escape(SPECIAL, quote=True)


def test_the_bot_and_the_knowledge_refuse_the_same_lengths() -> None:
    """One length limit: what the bot refuses, `Knowledge.ask` refuses, and no shorter."""
    kb = Knowledge(Store.open(":memory:"))
    longest = "Hvem er talsmand for Pentagon? " + "x" * 600
    limit = next(n for n in range(1, len(longest)) if render.question_problem(longest[:n]))
    assert kb.ask(longest[:limit]).problem == "too_long"
    assert kb.ask(longest[: limit - 1]).problem is None


def test_articles_are_listed_newest_first() -> None:
    """/kilder and the empty inline query: by publication date, then the latest added."""
    articles = [
        article(id=1, title="Gammel", date="2023-01-05"),
        article(id=2, title="Udateret", date=None),
        article(id=3, title="Ny", date="2025-06-12"),
        article(id=4, title="Også ny, tilføjet senere", date="2025-06-12"),
    ]
    message = render.articles_html(articles)
    positions = [message.index(t) for t in ("• Også ny", "• Ny,", "• Gammel", "• Udateret")]
    assert positions == sorted(positions)
    inline = render.inline_article_results(articles)
    assert [r.id for r in inline] == ["a:4", "a:3", "a:1", "a:2"]
