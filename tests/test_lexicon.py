"""Tests for knowledge.lexicon and knowledge.synonyms: Danish word knowledge from data files."""

from __future__ import annotations

import pytest
from faktabot.knowledge import Knowledge, Store
from faktabot.knowledge.lexicon import (
    DATA,
    answer_type,
    compound_parts,
    keys,
    lemma,
    question_phrases,
    read_lines,
    respell,
    stopwords,
)
from faktabot.knowledge.normalize import fold, tokens
from faktabot.knowledge.synonyms import Synonyms, phrase_of
from hypothesis import given
from hypothesis import strategies as st

KINDS = {"person", "time", "number", "place", "reason", "thing"}


def words(text: str) -> list[str]:
    return [t.norm for t in tokens(text)]


# -- lemmas and keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ("dræbt", "dræbte", "dræber", "dræbe"),
        ("gidsel", "gidsler", "gidslerne"),
        ("aflyse", "aflyste", "aflyst", "aflyser"),
        ("besøg", "besøget"),
        ("talsmand", "talsmænd"),
        ("minister", "ministre", "ministrene"),
    ],
    ids=lambda forms: forms[0],
)
def test_inflected_forms_share_a_key(forms):
    shared = set.intersection(*(set(keys(form)) for form in forms))
    assert shared, {form: keys(form) for form in forms}


@pytest.mark.parametrize(
    "word,expected",
    [("dræbte", "dræbe"), ("gidslerne", "gidsel"), ("aflyste", "aflyse"), ("besøget", "besøg")],
)
def test_lemma(word, expected):
    assert lemma(word) == expected


@pytest.mark.parametrize("word", ["dræbt", "sikkerhedsrådet", "søndag", "våbenhvile", "gidsler"])
def test_keys_are_folded(word):
    assert keys(word)
    assert all(key == fold(key) for key in keys(word))


@pytest.mark.parametrize(
    "number,key", [("32000", "32000"), ("32.000", "32000"), ("1160", "1160"), ("3,5", "3x5")]
)
def test_a_number_is_one_key_sqlite_keeps_whole(number, key):
    # FTS5's tokenizer splits at "." and ",", so the key has neither.
    assert keys(number) == (key,)


# -- respelling ae/oe/aa -----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("draebt", "dræbt"),
        ("hvornaar", "hvornår"),
        ("soendag", "søndag"),
        ("moedes", "mødes"),
        ("vaabenhvile", "våbenhvile"),
        ("foerst", "først"),
        ("paa", "på"),
    ],
)
def test_respell(typed, expected):
    assert expected in respell(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "dræbt",  # already spelt with æ/ø/å
        "gidsler",  # nothing to respell
        "haarbxq",  # no known word comes out
        "israel",
    ],
)
def test_respell_finds_nothing(typed):
    assert respell(typed) == ()


# -- compounds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "compound,tail,head",
    [
        ("forsvarsminister", "minister", "forsvar"),
        ("pressetalsmand", "talsmand", "presse"),
        ("sikkerhedsrådgiver", "raadgiv", "sikkerhed"),
        ("sundhedsministeriet", "ministerium", "sundhed"),
        ("landoffensiv", "offensiv", "land"),
        ("premierminister", "minister", None),
    ],
)
def test_compound_parts(compound, tail, head):
    parts = compound_parts(compound)
    assert any(p.startswith(tail) for p in parts), parts
    if head is not None:
        assert head in parts


@pytest.mark.parametrize("word", ["gaza", "gidsler", "1160000000", "nfl-chef", "hus"])
def test_compound_parts_of_short_words_and_numbers(word):
    assert compound_parts(word) == ()


def test_compound_parts_are_never_stop_words():
    stop = stopwords()
    for word in ["forsvarsminister", "pressetalsmand", "sikkerhedsrådgiver", "udenrigsminister"]:
        assert not set(compound_parts(word)) & stop


# -- answer types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Hvem er talsmand for Pentagon?", "person"),
        ("hvem mødes med Sullivan", "person"),
        ("Hvad hedder forsvarsministeren?", "person"),
        ("Hvad er navnet på talsmanden?", "person"),
        ("Hvornår blev gidslerne taget?", "time"),
        ("hvornaar moedes gallant og sullivan", "time"),
        ("Hvilket år var det?", "time"),
        ("Hvor mange gidsler er der?", "number"),
        ("Hvor mange procent stemte ja?", "number"),
        ("Hvor er gidslerne?", "place"),
        ("Hvilket land stemte ikke?", "place"),
        ("Hvorfor blev besøget aflyst?", "reason"),
        ("Hvad kræver resolutionen?", "thing"),
        ("Og hvem er talsmand?", "person"),
        ("Men hvornår kommer han?", "time"),
        ("Kirby", None),
        ("32.000 dræbt i Gaza", None),
        ("", None),
    ],
)
def test_answer_type(question, kind):
    assert answer_type(words(question))[0] == kind


@pytest.mark.parametrize(
    "question,content",
    [
        ("Hvad hedder forsvarsministeren?", ["forsvarsministeren"]),
        ("Og hvem er talsmand for Pentagon?", ["talsmand", "pentagon"]),
        ("Hvor mange gidsler holder Hamas i Gaza?", ["gidsler", "holder", "hamas", "gaza"]),
        ("hvornaar blev gidslerne bortfoert", ["gidslerne", "bortfoert"]),
        ("Hvilket land stemte ikke?", ["stemte"]),
    ],
)
def test_question_words_are_not_search_words(seed_kb, question, content):
    query, _ = seed_kb.analyse(question)
    assert [w.raw for w in query.words] == content


def test_longer_question_phrase_wins():
    # "hvor mange" is a number question, not a "hvor" (place) question.
    assert answer_type(["hvor", "mange", "gidsler"])[0] == "number"
    lengths = [len(row[0]) for row in question_phrases()]
    assert lengths == sorted(lengths, reverse=True)


# -- data files --------------------------------------------------------------------------


def test_read_lines_skips_comments_and_blanks(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("# header\n\nord  # a comment\n  andet ord\n#\n", encoding="utf-8")
    assert read_lines(path) == ["ord", "andet ord"]


def test_stopwords_come_from_the_data_file():
    listed = read_lines(DATA / "stopwords.txt")
    assert len(listed) > 50
    assert stopwords() == {fold(w) for w in listed}
    assert {"og", "hvem", "hvornaar", "paa"} <= stopwords()
    assert not {"gidsel", "talsmand", "gaza"} & stopwords()


def test_question_words_come_from_the_data_file():
    lines = read_lines(DATA / "question_words.txt")
    assert len(question_phrases()) == len(lines)
    for line in lines:
        phrase, kind = line.split("\t")
        assert kind in KINDS, line
        assert phrase == phrase.lower(), line
        assert answer_type(words(phrase))[0] is not None, line


SYNONYM_LINES = read_lines(DATA / "synonyms.txt")


# A member that is only stop words can never be looked up: a question's stop words are
# dropped before synonyms are searched.
@pytest.mark.parametrize("line", SYNONYM_LINES, ids=lambda line: line.split(",")[0])
def test_synonym_group_is_usable(line):
    members = [m.strip() for m in line.split(",")]
    assert len(members) >= 2
    assert all(members)
    stop = stopwords()
    for member in members:
        assert not all(t.norm in stop for t in tokens(member)), f"{member!r} is a stop word"


def test_synonym_groups_are_loaded_from_the_data_file():
    # Each line is one group, in file order, every member read as its content lemmas.
    synonyms = Synonyms.load()
    expected = [
        tuple(dict.fromkeys(phrase_of(member) for member in line.split(",")))
        for line in SYNONYM_LINES
    ]
    assert synonyms.groups == expected
    assert ("dræbe",) in next(g for g in synonyms.groups if ("omkomme",) in g)


# -- synonym lookup ----------------------------------------------------------------------


def lemmas(text: str) -> list[tuple[str, ...]]:
    """Each word's readings, as the question side passes them to Synonyms.find."""
    return [(lemma(t.raw),) for t in tokens(text)]


@pytest.mark.parametrize(
    "text,start,end,expected",
    [
        ("slå ihjel", 0, 2, ("dræbe",)),
        ("de blev slået ihjel", 2, 4, ("dræbe",)),
        ("omkom", 0, 1, ("slå", "ihjel")),
        ("mistede livet", 0, 2, ("dræbe",)),
        ("annulleret", 0, 1, ("aflyse",)),
        ("pressetalsmand", 0, 1, ("talsmand",)),
        ("sætte fri", 0, 2, ("løslade",)),
        ("våbenstilstand", 0, 1, ("våbenhvile",)),
    ],
)
def test_synonyms_find(text, start, end, expected):
    found = Synonyms.load().find(lemmas(text))
    assert any(s == start and e == end and expected in others for s, e, others in found), found


@pytest.mark.parametrize("text", ["slå", "ihjel", "edderkop", "hovedstad i Frankrig", ""])
def test_synonyms_find_nothing(text):
    found = Synonyms.load().find(lemmas(text))
    # "slå" alone is not "slå ihjel"; unrelated words have no group.
    assert not [f for f in found if ("dræbe",) in f[2]]
    if text in ("edderkop", ""):
        assert found == []


def test_a_found_member_is_not_its_own_synonym():
    for _, _, others in Synonyms.load().find(lemmas("aflyse")):
        assert ("aflyse",) not in others


def test_operator_synonym_file_adds_a_group(tmp_path):
    extra = tmp_path / "synonyms.txt"
    extra.write_text("# vores egne\nedderkop, spindler\n\nenlig\n", encoding="utf-8")
    bundled, loaded = Synonyms.load(), Synonyms.load(extra)
    assert bundled.find(["edderkop"]) == []
    assert loaded.find(["edderkop"]) == [(0, 1, (phrase_of("spindler"),))]
    # A line with one member is no group; the bundled groups are all still there.
    assert len(loaded.groups) == len(bundled.groups) + 1


def test_operator_synonym_reaches_the_answer(tmp_path):
    question = "Hvem er Pentagons mundstykke?"
    extra = tmp_path / "synonyms.txt"
    extra.write_text("talsmand, mundstykke\n", encoding="utf-8")
    plain = Knowledge(Store.open(":memory:"))
    extended = Knowledge(Store.open(":memory:"), synonyms=Synonyms.load(extra))
    assert plain.ask(question).answer is None
    result = extended.ask(question)
    assert result.answer is not None
    assert "Pat Ryder" in result.answer.fact.text
    assert ("mundstykke", "talsmand") in result.explanation.synonyms


# Phrase members are matched on their content words, as questions are.
@pytest.mark.parametrize(
    "question,asked,expected",
    [
        ("Hvem bakker op om Israel?", "bakker", "støtte"),
        ("Hvor befinder gidslerne sig?", "befinder", "opholde"),
    ],
)
def test_phrase_synonym_with_a_stop_word_is_found(seed_kb, question, asked, expected):
    query, _ = seed_kb.analyse(question)
    word = next(w for w in query.words if w.raw == asked)
    assert expected in word.synonyms


def test_every_member_finds_its_group():
    synonyms = Synonyms.load()
    for line in SYNONYM_LINES:
        for member in (m.strip() for m in line.split(",")):
            phrase = phrase_of(member)
            found = synonyms.find(list(phrase))
            assert any(s == 0 and e == len(phrase) for s, e, _ in found), member


@given(st.lists(st.sampled_from(["slå", "ihjel", "blev", "gidsler", "dø", "x"]), max_size=8))
def test_synonyms_find_spans_lie_inside_the_sequence(sequence):
    for start, end, others in Synonyms.load().find(sequence):
        assert 0 <= start < end <= len(sequence)
        assert others and tuple(sequence[start:end]) not in others
