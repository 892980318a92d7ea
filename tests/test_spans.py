"""Tests for knowledge.spans: the part of the answer sentence that answers the question."""

from __future__ import annotations

import re

import pytest
from faktabot.knowledge.spans import find_span


def span_text(sentence: str, kind: str | None, avoid: set[str] = frozenset()) -> str | None:
    span = find_span(sentence, kind, avoid=avoid)
    return sentence[span[0] : span[1]] if span else None


@pytest.mark.parametrize(
    "sentence,expected",
    [
        ("Modangrebet har dræbt mere end 32.000 ifølge sundhedsministeriet.", "mere end 32.000"),
        ("Ved angrebet blev 1160 personer dræbt.", "1160"),
        ("Ved angrebet blev 1.160 personer dræbt.", "1.160"),
        ("Hamas skal frigive de omkring 130 gidsler.", "omkring 130"),
        ("Der var ca. 30 personer til stede.", "ca. 30"),
        ("Væksten var 3,5 procent i år.", "3,5 procent"),
        ("Inflationen steg til 4 %.", "4 %"),
        ("Budgettet er 3 mio. kroner.", "3 mio."),
        ("Mindst 12 blev såret.", "Mindst 12"),
        ("Der kom tre personer.", "tre"),
    ],
)
def test_number_span(sentence, expected):
    assert span_text(sentence, "number") == expected


def test_number_span_skips_a_number_the_question_named():
    sentence = "Der var 7 gidsler, og 1160 blev dræbt."
    assert span_text(sentence, "number") == "7"
    assert span_text(sentence, "number", {"7"}) == "1160"


@pytest.mark.parametrize(
    "sentence,expected",
    [
        ("Gidslerne blev taget 7. oktober, og 1160 blev dræbt.", "1160"),
        ("Den 24. december kom 300 gæster.", "300"),
        ("Gidslerne blev taget under Hamas' angreb på Israel 7. oktober.", None),
        ("Han løb 7. runde på 3 minutter.", "7"),  # "runde" is no month: a number
    ],
)
def test_the_day_of_a_date_is_no_count(sentence, expected):
    assert span_text(sentence, "number") == expected


@pytest.mark.parametrize(
    "sentence,expected",
    [
        ("Gidslerne blev taget under Hamas' angreb på Israel 7. oktober.", "7. oktober"),
        ("Gallant skal mødes med Jake Sullivan tirsdag.", "tirsdag"),
        ("Mødet begynder kl. 14.30 i salen.", "kl. 14.30"),
        ("Mødet begynder kl. 9 i salen.", "kl. 9"),
        ("Muren faldt i 1989 efter mange år.", "1989"),
        ("Han kom den 3. maj 2021 til byen.", "3. maj 2021"),
        ("Pentagon siger, at de mødes dagen efter.", "dagen efter"),
        ("De mødtes i går i Washington.", "i går"),
    ],
)
def test_time_span(sentence, expected):
    assert span_text(sentence, "time") == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Han vandt 3. plads i løbet.",  # an ordinal that is no date
        "Der var 2500 deltagere.",  # a number that is no year
        "Ingen tidspunkter her.",
    ],
)
def test_no_time_span(sentence):
    assert span_text(sentence, "time") is None


def test_time_span_prefers_the_day_over_a_vague_word():
    sentence = "Kirby sagde tidligere mandag, at regeringen er skuffet."
    assert "mandag" in span_text(sentence, "time")


@pytest.mark.parametrize(
    "sentence,avoid,expected",
    [
        (
            "Pentagon siger, at ministeren skal mødes med forsvarsminister Lloyd Austin.",
            set(),
            "Lloyd Austin",
        ),
        ("Det siger Pat Ryder, der er talsmand for Pentagon.", set(), "Pat Ryder"),
        # the question named Pat Ryder, so the answer is someone else (or something else)
        ("Det siger Pat Ryder, der er talsmand for Pentagon.", {"pat", "ryder"}, "Pentagon"),
        (
            "Israels premierminister, Benjamin Netanyahu, siger, at handlingen skader.",
            {"israels", "premierminister"},
            "Benjamin Netanyahu",
        ),
        (
            "Gallant skal mødes med USA's nationale sikkerhedsrådgiver, Jake Sullivan.",
            {"gallant"},
            "Jake Sullivan",
        ),
        ("Mødet blev ledet af Anders Fogh Rasmussen i går.", set(), "Anders Fogh Rasmussen"),
        ("Han mødte Hans Christian af Rosenborg.", set(), "Hans Christian af Rosenborg"),
        ("Han talte med Ursula von der Leyen.", set(), "Ursula von der Leyen"),
    ],
)
def test_person_span(sentence, avoid, expected):
    assert span_text(sentence, "person", avoid) == expected


def test_person_span_is_none_without_names():
    assert span_text("ingen navne her, kun småt.", "person") is None


def test_person_span_skips_the_organisation_the_question_named():
    sentence = "- Vi er ret perplekse, siger John Kirby, der er talsmand for Det Hvide Hus."
    assert span_text(sentence, "person", {"talsmand", "hvide", "hus"}) == "John Kirby"


def test_person_span_with_initials():
    assert span_text("Han mødte H.C. Andersen i Odense.", "person") == "H.C. Andersen"


def test_person_span_falls_back_to_the_first_word():
    assert span_text("Kirby siger det.", "person") == "Kirby"


@pytest.mark.parametrize(
    "sentence,avoid,expected",
    [
        ("Der er omkring 130 gidsler i Gaza.", set(), "Gaza"),
        ("Han bor på Fyn og arbejder i København.", {"fyn"}, "København"),
        ("Mødet foregik i Det Hvide Hus.", set(), "Det Hvide Hus"),
        ("Han bor i en lejlighed.", set(), None),
    ],
)
def test_place_span(sentence, avoid, expected):
    assert span_text(sentence, "place", avoid) == expected


def test_reason_span_starts_at_the_cue():
    sentence = "Israel aflyste besøget, efter at USA afstod fra at stemme."
    assert span_text(sentence, "reason") == "efter at USA afstod fra at stemme."


@pytest.mark.parametrize("kind", [None, "thing", "unknown"])
def test_untyped_questions_have_no_span(kind):
    assert find_span("Der er 130 gidsler i Gaza, siger Pat Ryder.", kind) is None


@pytest.mark.parametrize("kind", ["number", "time", "person", "place", "reason"])
def test_spans_lie_inside_the_sentence(kind):
    sentence = (
        "Kirby siger mandag, at 130 gidsler i Gaza skal frigives, fordi Pat Ryder kl. 14 "
        "sagde det 7. oktober 2023."
    )
    start, end = find_span(sentence, kind)
    assert 0 <= start < end <= len(sentence)
    assert sentence[start:end] == sentence[start:end].strip()


# -- through Knowledge.ask ---------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Hvor mange gidsler sidder stadig i Gaza?",
        "Hvor mange blev dræbt ved angrebet på Israel?",
        "Hvor mange har Israels modangreb dræbt?",
    ],
)
def test_a_number_question_gets_a_number_span(seed_kb, question):
    answer = seed_kb.ask(question).answer
    assert answer is not None and answer.span is not None
    text = answer.fact.text[answer.span[0] : answer.span[1]]
    assert re.search(r"\d", text), text


@pytest.mark.parametrize(
    "question,pattern",
    [
        ("Hvornår blev gidslerne taget?", r"\d+\. \w+"),
        ("Hvornår mødes Gallant med Sullivan?", r"dag"),
    ],
)
def test_a_time_question_gets_a_time_span(seed_kb, question, pattern):
    answer = seed_kb.ask(question).answer
    assert answer is not None and answer.span is not None
    assert re.search(pattern, answer.fact.text[answer.span[0] : answer.span[1]])


@pytest.mark.parametrize(
    "question,named",
    [
        ("Hvem er talsmand for Pentagon?", "Pentagon"),
        ("Hvem er Israels premierminister?", "Israels"),
        ("Hvem skal Gallant mødes med tirsdag?", "Gallant"),
    ],
)
def test_a_person_question_gets_a_name_it_did_not_ask_about(seed_kb, question, named):
    answer = seed_kb.ask(question).answer
    assert answer is not None and answer.span is not None
    name = answer.fact.text[answer.span[0] : answer.span[1]]
    assert name[0].isupper() and " " in name  # first and last name
    assert named not in name


def test_the_white_house_spokesman_span_is_a_person(seed_kb):
    answer = seed_kb.ask("Hvad hedder talsmanden for Det Hvide Hus?").answer
    assert answer is not None and answer.span is not None
    assert answer.fact.text[answer.span[0] : answer.span[1]] == "John Kirby"


def test_a_late_question_word_still_sets_the_answer_type(seed_kb):
    answer = seed_kb.ask("@faktabot kan du sige mig, hvor mange gidsler der er i Gaza?").answer
    assert answer is not None and answer.span is not None
    assert "130" in answer.fact.text[answer.span[0] : answer.span[1]]


@pytest.mark.parametrize("question", ["Pat Ryder", "Hvad kræver resolutionen?"])
def test_untyped_questions_get_no_span(seed_kb, question):
    answer = seed_kb.ask(question).answer
    assert answer is not None
    assert answer.span is None


def test_a_person_outranks_a_country_in_a_person_span():
    sentence = "I Gaza siger Pat Ryder, at USA hjælper."
    assert span_text(sentence, "person") == "Pat Ryder"
    # With the person named by the question, a country is still a fallback.
    assert span_text(sentence, "person", {"pat", "ryder"}) in ("Gaza", "USA")


@pytest.mark.parametrize(
    "question", ["Hvem er Pat Ryder?", "Hvem er John Kirby?", "hvem er lloyd austin"]
)
def test_who_is_a_named_person_has_no_name_span(seed_kb, question):
    # The answer to "who is X" is the sentence about X, not another name in it.
    answer = seed_kb.ask(question).answer
    assert answer is not None and answer.span is None


def test_who_is_the_role_still_bolds_the_name(seed_kb):
    answer = seed_kb.ask("Hvem er talsmand for Pentagon?").answer
    assert answer is not None and answer.span is not None
    assert answer.fact.text[answer.span[0] : answer.span[1]] == "Pat Ryder"
