"""Values that more than one part of faktabot uses are defined once; these tests hold the
parts to agreeing where a copy could drift apart again (issue 20)."""

from __future__ import annotations

import pytest
from faktabot.bot import render
from faktabot.bot.config import Config
from faktabot.knowledge import ArticleInput, Knowledge, Store
from faktabot.knowledge.feedback import Feedback
from faktabot.knowledge.params import Params
from faktabot.knowledge.segment import split_sentences

BRIEF = "Færgen sejler igen. Rederiet venter 100 passagerer på den første afgang."


@pytest.mark.parametrize(("length", "refused"), [(500, False), (501, True)])
def test_the_bot_and_the_library_refuse_the_same_questions_as_too_long(
    empty_kb: Knowledge, length: int, refused: bool
) -> None:
    question = "   " + ("Hvor mange passagerer venter rederiet " * 20)[: length - 1] + "?  "
    assert (render.question_problem(question) is not None) is refused
    assert (empty_kb.ask(question).problem == "too_long") is refused


def test_the_bot_keeps_the_question_log_as_long_as_the_library_says() -> None:
    assert Config().retention_days == Feedback(Store.open(":memory:")).retention_days
    assert Config.from_env({}).retention_days == Config().retention_days


def test_an_answer_is_weighed_against_the_shipped_threshold(empty_kb: Knowledge) -> None:
    next(empty_kb.ingest([ArticleInput(BRIEF, "Færgen")]))
    result = empty_kb.ask("Hvor mange passagerer venter rederiet?")
    assert result.explanation.threshold == pytest.approx(Params.bundled().decision.threshold)


def test_stored_sentences_are_the_segmenters_sentences(empty_kb: Knowledge) -> None:
    text = BRIEF + "\n\u00a0\nMotoren blev skiftet. Det kostede to millioner kroner."
    article = next(empty_kb.ingest([ArticleInput(text, "Færgen")])).article
    stored = [
        row[0]
        for row in empty_kb.store.db.execute(
            "SELECT text FROM facts WHERE article_id = ? ORDER BY position", [article.id]
        )
    ]
    assert stored == [text[s:e] for s, e in split_sentences(text)]
