"""Tests for knowledge.normalize: folding, numbers, tokens and question cleaning.

Index and question must fold text the same way, so these are the rules both sides rely on.
"""

from __future__ import annotations

import pytest
from faktabot.knowledge.normalize import (
    clean_question,
    fold,
    normalize_number,
    normalize_text,
    tokens,
)
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "text,expected",
    [
        ("dræbt", "draebt"),
        ("Dræbt", "draebt"),
        ("søndag", "soendag"),
        ("hvornår", "hvornaar"),
        ("ÆRØ", "aeroe"),
        ("Øst for Å", "oest for aa"),
        ("Århus", "aarhus"),
        ("Sikkerhedsrådet", "sikkerhedsraadet"),
        # German and Swedish umlauts spell the way Danish keyboards do
        ("Über", "ueber"),
        ("Malmö", "malmoe"),
        ("Bär", "baer"),
        # other accents are dropped
        ("Café", "cafe"),
        ("naïve", "naive"),
        ("Cañón", "canon"),
        ("Ærligt talt, é", "aerligt talt, e"),
        # already folded text and digits stay as they are
        ("draebt", "draebt"),
        ("32.000", "32.000"),
        ("", ""),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("32.000", "32000"),
        ("1.160", "1160"),
        ("1.160.000", "1160000"),
        ("130", "130"),
        ("3,5", "3,5"),  # Danish decimal comma, kept
        ("0,25", "0,25"),
        ("3.5", "3,5"),  # one decimal digit is not a thousands group
        ("12.34", "12,34"),
        ("2024", "2024"),
    ],
)
def test_normalize_number(text, expected):
    assert normalize_number(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "Ved angrebet blev 1160 personer dræbt",
            ["ved", "angrebet", "blev", "1160", "personer", "draebt"],
        ),
        ("mere end 32.000", ["mere", "end", "32000"]),
        ("1.160 personer", ["1160", "personer"]),
        ("3,5 procent", ["3,5", "procent"]),
        # possessives are the word itself
        ("FN's Sikkerhedsråd", ["fn", "sikkerhedsraad"]),
        ("FN’s Sikkerhedsråd", ["fn", "sikkerhedsraad"]),
        ("Hamas' angreb", ["hamas", "angreb"]),
        ("USA's politik", ["usa", "politik"]),
        # a hyphen splits a compound
        ("NFL-kommissæren", ["nfl", "kommissaeren"]),
        ("Gaza-striben", ["gaza", "striben"]),
        # punctuation and quotes are not words
        ('- Vi er ret "perplekse"!', ["vi", "er", "ret", "perplekse"]),
        ("hvornår?!", ["hvornaar"]),
        ("😀 🎉", []),
        ("", []),
    ],
)
def test_tokens_norm(text, expected):
    assert [t.norm for t in tokens(text)] == expected


def test_tokens_keep_raw_form_and_offsets():
    text = "Israels modangreb har dræbt mere end 32.000 i FN's navn"
    toks = tokens(text)
    assert [(t.raw, t.norm) for t in toks][3:7] == [
        ("dræbt", "draebt"),
        ("mere", "mere"),
        ("end", "end"),
        ("32.000", "32000"),
    ]
    number = toks[6]
    assert text[number.start : number.end] == "32.000"
    possessive = toks[-2]
    assert (possessive.raw, text[possessive.start : possessive.end]) == ("fn", "FN's")


@pytest.mark.parametrize(
    "question,expected",
    [
        ("@faktabot hvem er talsmand?", "hvem er talsmand?"),
        ("hvem er talsmand @faktabot", "hvem er talsmand"),
        ("@faktabot, hvem er talsmand?", ", hvem er talsmand?"),
        ("/spoerg hvor mange gidsler?", "hvor mange gidsler?"),
        ("/spoerg@faktabot hvor mange gidsler?", "hvor mange gidsler?"),
        ("  /spoerg   hvornår?", "hvornår?"),
        ("/start", ""),
        ("/spoerg@faktabot", ""),
        ("@faktabot", ""),
        # only a leading command is the bot's; a slash later is part of the question
        ("hvad betyder /spoerg", "hvad betyder /spoerg"),
        ("og/eller hvad", "og/eller hvad"),
        # an e-mail address is not a mention
        ("skriv til redaktion@dr.dk", "skriv til redaktion@dr.dk"),
        # control and zero-width characters become spaces, then whitespace collapses
        ("hvem\x00er\x07talsmand", "hvem er talsmand"),
        ("hvem\u200ber\ufefftalsmand", "hvem er talsmand"),
        ("hvem\ter\n\ntalsmand\r\n", "hvem er talsmand"),
        ("hvem er talsmand\x7f", "hvem er talsmand"),
        ("   ", ""),
        ("", ""),
        # Danish letters are kept as typed
        ("Hvornår blev gidslerne taget?", "Hvornår blev gidslerne taget?"),
    ],
)
def test_clean_question(question, expected):
    assert clean_question(question) == expected


# -- invariants --------------------------------------------------------------------------

# Letters a Danish (or European) news text may hold, plus digits, punctuation and space.
_LATIN = st.characters(
    min_codepoint=0x20,
    max_codepoint=0x17F,
    categories=("Lu", "Ll", "Nd", "Po", "Pd", "Ps", "Pe", "Zs"),
)
_WORD = st.sampled_from(
    ["Gaza", "dræbt", "hvornår", "Sikkerhedsrådet", "FN's", "Hamas'", "USA’s", "NFL-chefen"]
)
_NUMBER = st.one_of(
    st.integers(0, 10**6).map(str),
    st.integers(1, 999).map(lambda n: f"{n}.{n % 1000:03d}"),  # 32.000
    st.tuples(st.integers(0, 99), st.integers(0, 99)).map(lambda p: f"{p[0]},{p[1]}"),  # 3,5
)
_SENTENCE = st.lists(st.one_of(_WORD, _NUMBER, st.text(_LATIN, max_size=12)), max_size=12).map(
    " ".join
)


@given(st.text(_LATIN))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text(_LATIN))
def test_fold_leaves_no_danish_letters_or_upper_case(text):
    folded = fold(text)
    assert not set("æøåÆØÅ") & set(folded)
    assert folded == folded.lower()


@pytest.mark.parametrize("text", ["ǽ", "ǿ", "ᴭ", "ℌ"])
def test_fold_is_idempotent_on_compatibility_letters(text):
    assert fold(fold(text)) == fold(text)


@given(_SENTENCE)
def test_normalize_text_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "1,500",  # one and a half, not fifteen hundred the second time
        "Ŀ",  # decomposes to "l·"
    ],
)
def test_normalize_text_is_idempotent_on_known_edge_cases(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(_SENTENCE)
def test_token_offsets_point_into_the_text(text):
    previous_end = 0
    for tok in tokens(text):
        assert previous_end <= tok.start < tok.end <= len(text)
        previous_end = tok.end
        written = text[tok.start : tok.end].lower().replace("’", "'")
        assert written.startswith(tok.raw)
        if not tok.raw[0].isdigit():
            # A word's norm is its fold, less marks a decomposition leaves ("Ŀ" -> "l·").
            assert tok.norm == "".join(c for c in fold(tok.raw) if c.isalnum() or c == "'")


@given(st.text())
def test_clean_question_never_keeps_control_characters_or_padding(text):
    cleaned = clean_question(text)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in cleaned)
