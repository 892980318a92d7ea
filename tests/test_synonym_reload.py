"""The operator's synonym file (FAKTABOT_SYNONYMS) is reloaded when it changes, no restart.

"mundstykke" (mouthpiece) is a Danish word the seed article never uses: "Hvem er Pentagons
mundstykke?" is answered only once the operator says it stands for "talsmand".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from faktabot.bot.cli import main
from faktabot.knowledge import Knowledge, Store
from telegram_fixtures import StartBot

QUESTION = "Hvem er Pentagons mundstykke?"
SPOKESMAN = "Pat Ryder"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def write(path: Path, text: str, *, later_by: int = 0) -> None:
    """Write the file; move its mtime on so the change shows even within one clock tick."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    if later_by:
        stamp = before + later_by * 1_000_000_000
        os.utime(path, ns=(stamp, stamp))


@pytest.fixture
def synonyms(tmp_path: Path) -> Path:
    path = tmp_path / "synonymer.txt"
    write(path, "# the operator's own groups\nbil, vogn\n")
    return path


def test_a_changed_synonym_file_takes_effect_without_restart(
    tmp_path: Path, synonyms: Path
) -> None:
    ticks = Ticks()
    kb = Knowledge(Store.open(tmp_path / "kb.sqlite"), synonym_files=[synonyms], clock=ticks)
    before = kb.ask(QUESTION)
    assert before.answer is None and "mundstykke" in before.explanation.missing

    write(synonyms, "bil, vogn\ntalsmand, mundstykke\n", later_by=1)
    assert kb.ask(QUESTION).answer is None  # looked at only every few seconds
    ticks.now += kb.synonym_check_seconds
    after = kb.ask(QUESTION)
    assert after.answer is not None and SPOKESMAN in after.answer.fact.text
    assert ("mundstykke", "talsmand") in after.explanation.synonyms
    assert kb.ask("Hvem er Pentagons talsmand?").answer is not None  # bundled ones still there

    write(synonyms, "bil, vogn\n", later_by=2)  # and taken away again
    ticks.now += kb.synonym_check_seconds
    assert kb.ask(QUESTION).answer is None


def test_a_missing_or_unreadable_file_keeps_the_last_synonyms(
    tmp_path: Path, synonyms: Path
) -> None:
    ticks = Ticks()
    write(synonyms, "talsmand, mundstykke\n")
    kb = Knowledge(Store.open(tmp_path / "kb.sqlite"), synonym_files=[synonyms], clock=ticks)
    assert kb.ask(QUESTION).answer is not None
    synonyms.unlink()  # an editor replacing the file
    ticks.now += kb.synonym_check_seconds
    assert kb.reload_synonyms() is False
    assert kb.ask(QUESTION).answer is not None
    synonyms.write_bytes(b"talsmand, \xff\xfe broken\n")  # not UTF-8
    ticks.now += kb.synonym_check_seconds
    assert kb.reload_synonyms() is False
    assert kb.ask(QUESTION).answer is not None


async def test_the_bot_answers_with_a_synonym_added_while_it_runs(
    start_bot: StartBot, tmp_path: Path, synonyms: Path
) -> None:
    kb = Knowledge.open(tmp_path / "bot.sqlite", synonyms=[synonyms])
    kb.synonym_check_seconds = 0  # look at the file on every question
    bot = await start_bot(knowledge=kb)
    first = await bot.ask_private(QUESTION)
    assert first.text.startswith("Det ved jeg ikke")
    write(synonyms, "talsmand, mundstykke\n", later_by=1)
    second = await bot.ask_private(QUESTION)
    assert SPOKESMAN in second.text


def test_the_cli_reads_faktabot_synonyms(
    tmp_path: Path, synonyms: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    db = str(tmp_path / "cli.sqlite")
    monkeypatch.setenv("FAKTABOT_SYNONYMS", str(synonyms))
    assert main(["ask", QUESTION, "--db", db]) == 0
    assert "Det ved jeg ikke" in capsys.readouterr().out
    write(synonyms, "talsmand, mundstykke\n", later_by=1)
    assert main(["ask", QUESTION, "--db", db]) == 0
    assert SPOKESMAN in capsys.readouterr().out
    monkeypatch.setenv("FAKTABOT_SYNONYMS", str(tmp_path / "nowhere.txt"))
    assert main(["ask", QUESTION, "--db", db]) == 1
    assert "FAKTABOT_SYNONYMS: no such file" in capsys.readouterr().err
