"""`faktabot report`: unanswered questions grouped, the most 👎 facts, answer rate per day."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from faktabot.bot.cli import main
from faktabot.bot.tables import print_report, rate_chart_svg, report_html
from faktabot.knowledge import Knowledge
from faktabot.knowledge.curation import (
    DayRate,
    build_report,
    group_questions,
    question_key,
    similar,
)
from faktabot.knowledge.feedback import Feedback
from faktabot.knowledge.normalize import normalize_text
from rich.console import Console
from telegram_fixtures import HOSTAGES, PENTAGON

NOW = datetime(2024, 4, 10, 15, 0, tzinfo=UTC)
# Unanswered questions as users typed them: two needs, worded several ways, and one loner.
SPOKESMAN = [
    "hvem er talsmand for pentagon",
    "hvem er pentagons talsmand",
    "Hvem er pentagons talsmand?",
]
BIRTH = ["Hvornår blev Netanyahu født?", "hvornår er netanyahu født"]
LONER = "Hvad koster en pizza i Rom?"


def test_the_two_spokesman_questions_are_one_group() -> None:
    a, b = "hvem er talsmand for pentagon", "hvem er pentagons talsmand"
    (kind_a, words_a), (kind_b, words_b) = question_key(a), question_key(b)
    assert kind_a == kind_b == "hvem"  # folded lemmas: "pentagons" is "pentagon"
    assert sorted(words_a.split()) == sorted(words_b.split()) == ["pentagon", "talsmand"]
    assert similar(a, b)
    [(wordings, counts)] = group_questions([a, b, a])
    assert wordings == [a, b] and counts.total() == 3


def test_different_needs_stay_apart() -> None:
    assert not similar("hvem er talsmand for pentagon", "hvad er pentagon")
    assert not similar("hvem er talsmand for pentagon", "hvornår talte pentagons talsmand")
    assert similar("hvem er pentagons talsmand", "hvem er pentagons tlasmand")  # a typo


def test_groups_are_ordered_by_how_often_they_were_asked() -> None:
    groups = group_questions(SPOKESMAN + BIRTH + [LONER] + BIRTH)
    assert [counts.total() for _, counts in groups] == [4, 3, 1]
    birth, spokesman, loner = (wordings for wordings, _ in groups)
    assert birth[0] in BIRTH and set(spokesman) <= set(SPOKESMAN) and loner == [LONER]
    # Case and punctuation variants are one wording.
    assert len(spokesman) == 2


@pytest.fixture
def logged(tmp_path: Path) -> tuple[Knowledge, Path]:
    """A database with three days of questions and votes."""
    path = tmp_path / "report.sqlite"
    kb = Knowledge.open(path)
    clock = [NOW - timedelta(days=2)]
    feedback = Feedback(kb.store, clock=lambda: clock[0])
    answered = kb.ask(PENTAGON)
    assert answered.answer is not None

    def ask(question: str, user: int) -> int:
        return feedback.log(kb.ask(question), chat_type="private", user_id=user)

    for i, question in enumerate(SPOKESMAN):
        ask(question, i)
    ids = [ask(PENTAGON, 10), ask(HOSTAGES, 11)]
    clock[0] = NOW - timedelta(days=1)
    for question in BIRTH:
        ask(question, 20)
    clock[0] = NOW
    ask(LONER, 30)
    ids.append(ask(PENTAGON, 31))
    feedback.vote(ids[0], 10, up=False)
    feedback.vote(ids[0], 12, up=False)
    feedback.vote(ids[2], 31, up=True)
    feedback.vote(ids[1], 11, up=False)
    feedback.vote(ids[1], 13, up=True)
    return kb, path


def test_the_report_counts_groups_votes_and_days(logged: tuple[Knowledge, Path]) -> None:
    kb, _ = logged
    # The spokesman wordings are answered now (the matcher knows them); only if declined
    # do they show up, so compare with what the knowledge base does today.
    declined = [q for q in SPOKESMAN + BIRTH + [LONER] if kb.ask(q).answer is None]
    report = build_report(kb.store, days=7, now=NOW)
    assert report.asked == 9 and report.asked - report.answered == len(declined)
    assert (report.up, report.down) == (2, 3)
    assert sum(g.count for g in report.unanswered) == len(declined)

    pentagon = kb.ask(PENTAGON).answer.fact
    hostages = kb.ask(HOSTAGES).answer.fact
    top = report.downvoted[0]
    assert (top.fact_id, top.down, top.up, top.text) == (pentagon.id, 2, 1, pentagon.text)
    assert top.question == PENTAGON
    assert [(f.fact_id, f.down, f.up) for f in report.downvoted[1:]] == [(hostages.id, 1, 1)]

    assert len(report.days) == 7 and report.days[-1].day == "2024-04-10"
    by_day = {d.day: d for d in report.days}
    assert by_day["2024-04-08"].asked == 5 and by_day["2024-04-10"].asked == 2
    assert by_day["2024-04-05"].asked == 0 and by_day["2024-04-05"].rate is None
    assert by_day["2024-04-10"].answered == 1  # the pizza was declined, Pentagon answered


def test_unanswered_questions_are_grouped_in_the_report(tmp_path: Path) -> None:
    kb = Knowledge.open(tmp_path / "declined.sqlite")
    feedback = Feedback(kb.store, clock=lambda: NOW)
    # Log them as declined whatever today's matcher says: the report reads the log.
    for question in [*SPOKESMAN, *BIRTH, LONER]:
        result = kb.ask(question)
        if result.answer is not None:
            result = type(result)(question, None, (), result.explanation)
        feedback.log(result, chat_type="group", user_id=1)
    report = build_report(kb.store, now=NOW)
    groups = {g.question: g for g in report.unanswered}
    spokesman = next(g for g in report.unanswered if g.question in SPOKESMAN)
    assert spokesman.count == 3
    assert {normalize_text(q) for q in (spokesman.question, *spokesman.variants)} == {
        "hvem er talsmand for pentagon",
        "hvem er pentagons talsmand",
    }
    assert groups[LONER].count == 1 and len(report.unanswered) == 3
    assert report.rate == 0


def test_terminal_report(logged: tuple[Knowledge, Path]) -> None:
    kb, _ = logged
    out = io.StringIO()
    print_report(build_report(kb.store, days=7, now=NOW), Console(file=out, width=160))
    text = out.getvalue()
    assert "Most asked unanswered questions" in text or "No unanswered questions." in text
    assert "Facts with the most 👎" in text and "Answer rate per day" in text
    assert "9 questions" in text and "2 👍, 3 👎" in text
    assert "2024-04-08" in text


class _Page(HTMLParser):
    """Collects tags and attributes, and checks every opened element is closed."""

    VOID = frozenset({"meta", "br"})

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.open and self.open[-1] == tag, (tag, self.open[-3:])
        self.open.pop()


def test_html_report_is_self_contained(logged: tuple[Knowledge, Path]) -> None:
    kb, _ = logged
    page = report_html(build_report(kb.store, days=7, now=NOW))
    parser = _Page()
    parser.feed(page)
    assert not parser.open
    assert "svg" in parser.tags and "style" in parser.tags
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert not [v for k, v in parser.attrs if k in {"src", "href"}]
    assert not re.search(r"(?i)https?://|url\(|@import", page)
    assert page.count("<rect ") == 7  # one bar a day


def test_chart_bar_heights_follow_the_rate() -> None:
    svg = rate_chart_svg([DayRate("2024-04-01", 4, 4), DayRate("2024-04-02", 4, 1)])
    heights = [float(h) for h in re.findall(r'class="bar" y="[\d.]+" height="([\d.]+)"', svg)]
    assert heights[0] == 4 * heights[1]
    assert "1 of 4 answered (25%)" in svg


def test_question_text_is_escaped_in_the_page(tmp_path: Path) -> None:
    kb = Knowledge.open(tmp_path / "x.sqlite")
    Feedback(kb.store).log(
        kb.ask("<script>alert(1)</script> pizza?"), chat_type="private", user_id=1
    )
    page = report_html(build_report(kb.store))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_cli_report_prints_and_writes_html(
    logged: tuple[Knowledge, Path], tmp_path: Path, capsys
) -> None:
    _, path = logged
    out = tmp_path / "rapport.html"
    assert main(["report", "--db", str(path), "--days", "3650", "--html", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "faktabot report" in printed and f"wrote {out}" in printed
    assert "asked the bot on Telegram" in " ".join(printed.split())  # says what it counts
    assert "<svg" in out.read_text(encoding="utf-8")
    assert "asked the bot on Telegram" in out.read_text(encoding="utf-8")
    assert main(["report", "--db", str(path), "--days", "0"]) == 1


def test_cli_report_makes_the_html_folder_or_says_in_one_line_why_it_cannot(
    logged: tuple[Knowledge, Path], tmp_path: Path, capsys
) -> None:
    _, path = logged
    nested = tmp_path / "rapporter" / "uge" / "r.html"
    assert main(["report", "--db", str(path), "--html", str(nested)]) == 0
    assert "<svg" in nested.read_text(encoding="utf-8")
    blocker = tmp_path / "en-fil.txt"
    blocker.write_text("ikke en mappe", encoding="utf-8")
    capsys.readouterr()
    assert main(["report", "--db", str(path), "--html", str(blocker / "r.html")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"faktabot: cannot write {blocker / 'r.html'}:")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
