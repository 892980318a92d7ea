"""Small talk is told from questions: never searched in the articles, never a question lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faktabot.knowledge import Knowledge
from faktabot.knowledge.model import ArticleInput
from faktabot.knowledge.smalltalk import Phrasebook, parse, phrasebook

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("hej", "greeting"),
        ("Heeej bot! 👋", "greeting"),
        ("hvordan gaar det", "greeting"),  # no æ/ø/å
        ("hvordna går det med dig?", "greeting"),  # a typo in a longer word
        ("tka", "thanks"),  # two letters swapped in a short word
        ("tusind tak for dit svar", "thanks"),  # a cue and small talk's own words
        ("vi ses", "goodbye"),
        ("hvad kan du?", "about"),
        ("hjaelp", "about"),
        ("du er dum", "complaint"),  # a later section's cue wins over "du"
        ("godt svaret!", "praise"),
        ("Hvad er klokken?", "time"),
        ("hvad er klokken i New York", "time"),  # a phrasing ending in "*"
        ("hej, hvad er klokken?", "time"),  # phrasings in a row: the greeting gives way
        ("hvilken dato er det i dag", "date"),
        ("bliver det regn i morgen?", "weather"),
        ("hvad er 17 gange 4?", "arithmetic"),
        ("2+2", "arithmetic"),  # symbols are spelt out
        ("fortæl mig en vittighed", "joke"),
        ("hvad synes du om statsministeren?", "opinion"),
        ("oversæt det her til engelsk", "write"),
        ("hvor meget er syv plus otte", "arithmetic"),  # "*" in the middle
        ("oversæt hund til tysk", "write"),
        ("mere", "more"),
        ("fortæl mere", "more"),
    ],
)
def test_small_talk_is_recognised(message: str, intent: str) -> None:
    found = phrasebook().intent(message)
    assert found is not None and found.name == intent


@pytest.mark.parametrize(
    "question",
    [
        "Hvem er talsmand for Pentagon?",
        "hej, hvem er talsmand for Pentagon?",  # a greeting before a question
        "Hvad er et andet navn for Hamas?",  # "hvad er" alone is no phrasing
        "Et forslag er et eksempel på hvad?",  # "et" is not "ret *" with a typo
        "Hvad mener de om forslaget?",  # "de" is not "du": short words are exact
        "Hvor mange stemmer fik forslaget?",  # a cue, but a word small talk never uses
        "Hvad er tiden for afstemningen?",
        "Skrev Kirby om gidslerne?",
        "32.000",  # a number alone is a search, not arithmetic
        "Hvad betyder Warszawa på polsk?",  # asked of articles too
        "Hvad er Salme 31:5?",  # a verse, not a division
        "Hvad er det system, Sky+HD bruger?",
        "Kirby",
    ],
)
def test_questions_are_not_small_talk(question: str) -> None:
    assert phrasebook().intent(question) is None


def test_almost_no_squad_question_is_taken_for_small_talk() -> None:
    squad = json.loads((SHARED / "squad_da_dev.json").read_text(encoding="utf-8"))
    questions = [qa["question"] for a in squad["data"] for p in a["paragraphs"] for qa in p["qas"]]
    taken = [q for q in questions if phrasebook().intent(q) is not None]
    assert len(questions) > 4000
    assert len(taken) <= 0.005 * len(questions), taken[:10]


def test_a_phrasing_left_with_only_function_words_after_its_fillers_is_dropped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "talk.txt"
    path.write_text(
        "[filler]\nfaktabot\n\n[small_talk about]\nhvad er faktabot\nhvem er du\n",
        encoding="utf-8",
    )
    book = Phrasebook.load(path)
    assert book.intent("Hvad er Hamas?") is None
    assert book.intent("hvad er") is None
    found = book.intent("hvem er du, faktabot?")
    assert found is not None and found.name == "about"


def test_a_section_of_an_unknown_kind_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "talk.txt"
    path.write_text("[chit_chat greeting]\nhej\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"talk\.txt:1"):
        parse(path)


def test_the_time_is_never_searched_in_articles_that_mention_the_clock() -> None:
    kb = Knowledge.open(":memory:")
    clock = "Mødet begyndte klokken 14.30, og klokken var mange, før det sluttede."
    list(kb.ingest([ArticleInput(clock, title="Byrådsmødet")]))
    searched = kb.ask("hvad er klokken?")  # the search alone finds the clock
    assert searched.answer is not None or searched.alternatives
    result = kb.converse("hvad er klokken?")
    assert result.intent is not None and result.intent.kind == "out_of_scope"
    assert result.answer is None and not result.alternatives
    assert kb.search("hvad er klokken?") == []  # inline mode lists nothing either
    assert kb.search("Hvornår begyndte mødet?")
