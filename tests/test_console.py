"""The console chat: the bot's answer path as plain text, for pipes and terminals."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from faktabot.bot import console, render
from faktabot.knowledge import Knowledge
from telegram_fixtures import run_python

PENTAGON = "Hvem er talsmand for Pentagon?"
HOSTAGES = "Hvor mange gidsler befinder sig i Gaza?"
OFF_TOPIC = "Hvad er hovedstaden i Frankrig?"


@pytest.fixture
def kb(tmp_path: Path) -> Knowledge:
    return Knowledge.open(tmp_path / "kb.sqlite")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_questions_are_answered_until_eof(kb: Knowledge) -> None:
    out = io.StringIO()
    status = console.chat(kb, io.StringIO(f"{PENTAGON}\n\n{HOSTAGES}\n{OFF_TOPIC}"), out)
    assert status == 0
    text = out.getvalue()
    for question in (PENTAGON, HOSTAGES):
        assert f"»{kb.ask(question).answer.fact.text}«" in text
    assert "Pat Ryder" in text and "omkring 130 gidsler" in text
    assert "Det ved jeg ikke" in text
    assert "Kilde: " in text
    assert ">" not in text.replace("»", "") and "<" not in text  # no prompt, no tags
    assert "Hej!" not in text  # no welcome when piped


def test_plain_text_matches_the_telegram_reply(kb: Knowledge) -> None:
    result = kb.ask(PENTAGON)
    assert console.reply(kb, PENTAGON) == render.to_plain(render.answer_html(result))


def test_bad_input_gets_a_plain_friendly_reply(kb: Knowledge) -> None:
    out = io.StringIO()
    lines = ["😀😀", "x" * 5000, "<b>hej</b> & <script>"]
    assert console.chat(kb, io.StringIO("\n".join(lines) + "\n"), out) == 0
    text = out.getvalue()
    assert "med ord" in text and "for langt" in text
    assert "&amp;" not in text and "<i>" not in text


def test_empty_input_exits_cleanly(kb: Knowledge) -> None:
    out = io.StringIO()
    assert console.chat(kb, io.StringIO(""), out) == 0
    assert out.getvalue() == ""


def test_terminal_gets_welcome_and_prompts(kb: Knowledge) -> None:
    out = io.StringIO()
    assert console.chat(kb, Terminal(f"{PENTAGON}\n"), out) == 0
    text = out.getvalue()
    assert text.startswith("Hej!")
    assert text.count(console.PROMPT) == 2  # one per read, the last one meets EOF
    assert "Pat Ryder" in text


def test_module_runs_as_a_pipe(tmp_path: Path) -> None:
    env = {**os.environ, "FAKTABOT_DB": str(tmp_path / "kb.sqlite")}
    question = "hvem er talsmand for pentagon\n"
    done = run_python("-m", "faktabot.bot.console", env=env, stdin=question)
    assert done.returncode == 0, done.stderr
    assert "Pat Ryder" in done.stdout
    assert "Traceback" not in done.stderr
