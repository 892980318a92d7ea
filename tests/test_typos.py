"""Typo tolerance: a misspelt word finds the indexed word, a real word is never "corrected"."""

from __future__ import annotations

import pytest
from faktabot.knowledge import ArticleInput, Knowledge, Store
from faktabot.knowledge.view import typo_budget


@pytest.mark.parametrize(
    "length,edits",
    [(0, 0), (1, 0), (3, 0), (4, 0), (5, 1), (6, 1), (8, 1), (9, 2), (12, 2), (30, 2)],
)
def test_typo_budget(length, edits):
    # Meilisearch's rule: no typo under 5 letters, one from 5, two from 9.
    assert typo_budget(length) == edits


@pytest.mark.parametrize(
    "typed,expected,edits",
    [
        ("talsmnad", "talsmand", 1),  # swap of two letters is one edit
        ("forsvarsminster", "forsvarsminister", 1),
        ("austen", "austin", 1),
        ("kirbi", "kirby", 1),  # 5 letters: one edit allowed
        ("tirsdga", "tirsdag", 1),
        ("sulivan", "sullivan", 1),
        ("netanyhau", "netanyahu", 1),
        ("netanyaoo", "netanyahu", 2),  # 9 letters: two edits allowed
        ("pentagno", "pentagon", 1),
        # the correction is the word as the article spells it, with æ/ø/å
        ("sikkerhedsraadgivr", "sikkerhedsrådgiver", 1),
    ],
)
def test_correct_finds_the_indexed_word(seed_kb, typed, expected, edits):
    assert seed_kb.view.correct(typed) == (expected, edits)


@pytest.mark.parametrize(
    "typed",
    [
        "gaz",  # under 5 letters: no typos at all
        "hmas",
        "gazq",
        "kyrbi",  # two edits from "kirby" with a budget of one
        "sulivn",  # two edits from "sullivan" (6 letters, budget one)
        "talsmand",  # spelt right: nothing to correct
        "32001",  # never a number
        "1161",
        "3.5",
    ],
)
def test_correct_declines(seed_kb, typed):
    assert seed_kb.view.correct(typed) is None


def test_equally_close_words_prefer_the_more_frequent(empty_kb):
    text = "Larsen kom hjem. Larsen gik ud. Larsen sov længe. Lassen vågnede tidligt."
    list(empty_kb.ingest([ArticleInput(text)]))
    # "larssen" is one edit from both; Larsen is in three sentences, Lassen in one.
    assert empty_kb.view.correct("larssen") == ("larsen", 1)


@pytest.mark.parametrize(
    "question,typed,corrected,answer",
    [
        ("hvem er talsmnad for pentagon", "talsmnad", "talsmand", "Pat Ryder"),
        ("hvad hedder israels forsvarminister", "forsvarminister", "forsvarsminister", "Gallant"),
        ("lloyd astin", "astin", "austin", "Lloyd Austin"),
        ("hvornår skal gallant mødes med sulivan", "sulivan", "sullivan", "Jake Sullivan"),
        ("hvad siger netanyhau om usa", "netanyhau", "netanyahu", "Netanyahu"),
    ],
)
def test_a_typo_is_corrected_and_answered(seed_kb, question, typed, corrected, answer):
    result = seed_kb.ask(question)
    assert (typed, corrected) in result.explanation.corrected
    assert result.answer is not None
    assert answer in result.answer.fact.text


@pytest.mark.parametrize(
    "question",
    [
        "1161 personer",
        "32.001 dræbte",
        "hvor mange blev dræbt 8. oktober",
    ],
)
def test_numbers_are_never_corrected(seed_kb, question):
    assert seed_kb.ask(question).explanation.corrected == ()


@pytest.mark.parametrize(
    "question",
    [
        # Danish words one or two edits from an indexed word ("tirsdag", "politik",
        # "mandag", "Ryder") or simply not in the article: never turned into another word.
        "Hvad skete der torsdag?",
        "Hvem er chef for politiet?",
        "politi",
        "mandat",
        "ryger",
        "Hvor mange øjne har en flue?",
        "Hvad er hovedstaden i Frankrig?",
        "galant",
        # typed without æ/ø/å: respelt, not corrected
        "hvad skal droeftelserne handle om",
        "hvornaar moedes gallant og sullivan",
        # spelt right
        "Hvem er talsmand for Pentagon?",
    ],
)
def test_real_words_are_not_corrected(seed_kb, question):
    assert seed_kb.ask(question).explanation.corrected == ()


def test_a_real_word_does_not_answer_through_a_correction(seed_kb):
    # "torsdag" is not "tirsdag": the Sullivan meeting is not an answer to a Thursday question.
    result = seed_kb.ask("Hvem mødes med Gallant torsdag?")
    assert ("torsdag", "tirsdag") not in result.explanation.corrected


def test_corrections_follow_the_index(empty_kb):
    # Typos are corrected towards the words of the stored articles, whatever they are.
    assert empty_kb.view.correct("talsmnad") is None
    list(empty_kb.ingest([ArticleInput("Talsmanden for klubben hedder Mette. Han er talsmand.")]))
    assert empty_kb.view.correct("talsmnad") == ("talsmand", 1)
    empty_kb.remove(empty_kb.articles()[0].id)
    assert empty_kb.view.correct("talsmnad") is None


def test_a_fresh_store_corrects_the_same_way(db_path):
    first = Knowledge(Store.open(db_path))
    assert first.view.correct("talsmnad") == ("talsmand", 1)
    reopened = Knowledge(Store.open(db_path))
    assert reopened.view.correct("talsmnad") == ("talsmand", 1)
