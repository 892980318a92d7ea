"""Tests for knowledge.segment: Danish sentence splitting with verbatim offsets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from faktabot.knowledge import segment
from faktabot.knowledge.segment import sentences, split_sentences
from hypothesis import given, settings
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # beside the repository
SEED = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "seed_article.txt"

NO_SPLIT = [
    # ordinals
    "Gidslerne blev taget under Hamas' angreb på Israel 7. oktober.",
    "Da dette var den 50. Super Bowl, lagde ligaen vægt på jubilæet.",
    "Christian 4. byggede Rundetårn.",
    "Mødet holdes d. 3. maj i Aarhus.",
    "Kongen blev kronet den 2. Juni i domkirken.",
    "Elever i 7. 8. og 9. klasse deltog.",
    "Han læste (1. Korinther 11) højt.",
    "Viceadmiral Cuthbert Collingwood, 1. Baron Collingwood, førte flåden.",
    "1. Verdenskrig begyndte i 1914.",
    # thousands, decimals, times, dates
    "Modangrebet har dræbt mere end 32.000 ifølge sundhedsministeriet.",
    "Ved angrebet blev 1.160 personer dræbt.",
    "Væksten var 3,5 procent mod 3.5 sidste år.",
    "Mødet begynder kl. 14.30 i salen.",
    "Aftalen blev underskrevet 24.12.2023 om aftenen.",
    # abbreviations
    "Han besøgte bl.a. Danmark og Sverige.",
    "Der kom f.eks. Mette og Lars.",
    "Der var ca. 130 gidsler.",
    "Bl.a. USA stemte imod.",
    "Ca. 30 personer var mødt op.",
    "Mødet er kl. 9 i lokale nr. 4.",
    "Budgettet er på 3 mio. kr. i år.",
    "Han mødte dr. Hansen og hr. Jensen.",
    "Hun rejste til St. Petersborg.",
    "Vi hhv. sælger og køber, dvs. handler.",
    "Se jf. Grundloven § 3, stk. 2 om det.",
    "Han rejste pga. Vejret, inkl. Stormen.",
    "Ring på tlf. 12345678 for at høre mere.",
    "Huset kostede 3 mia. 200.000 kr.",
    # initials
    "Præsident J. F. Kennedy blev myrdet i Dallas.",
    "H.C. Andersen skrev eventyr.",
    "A.P. Møller er et stort rederi.",
    # quotes and dialogue
    'Kirby er "meget skuffet" over, at delegationen ikke kommer.',
    '"Hvorfor?" spurgte han.',
    'Han sagde: "Vi kommer ikke. Det er slut," og gik.',
    "- Vi er ret perplekse, siger John Kirby, der er talsmand for Det Hvide Hus.",
    "– Vi er ret perplekse, siger John Kirby.",
    "— Vi er ret perplekse, siger John Kirby.",
    "Hvad nu? spurgte hun.",
    "Han bor på Amager... måske.",
    # hard-wrapped line without final punctuation
    "Israel aflyste besøget, efter at USA afstod\nfra at stemme i Sikkerhedsrådet.",
]


@pytest.mark.parametrize("text", NO_SPLIT)
def test_no_split(text: str) -> None:
    assert sentences(text) == [text]


SPLIT = [
    (
        "Kirby siger, at Gallant skal mødes med Jake Sullivan, tirsdag. Pentagon siger, at "
        "ministeren skal mødes med Lloyd Austin dagen efter.",
        [
            "Kirby siger, at Gallant skal mødes med Jake Sullivan, tirsdag.",
            "Pentagon siger, at ministeren skal mødes med Lloyd Austin dagen efter.",
        ],
    ),
    ("Kom nu! Vi venter.", ["Kom nu!", "Vi venter."]),
    ("Hvem kommer? Ingen ved det.", ["Hvem kommer?", "Ingen ved det."]),
    ("Vi ventede… Så kom de.", ["Vi ventede…", "Så kom de."]),
    ("Vi ventede... Så kom de.", ["Vi ventede...", "Så kom de."]),
    ("Han sagde ja?! Utroligt.", ["Han sagde ja?!", "Utroligt."]),
    # digit, quote and dash start a new sentence
    ("Det skete i 2015. 24 personer døde.", ["Det skete i 2015.", "24 personer døde."]),
    ('Han tav. "Nej," sagde han.', ["Han tav.", '"Nej," sagde han.']),
    ("Han tav. »Nej,« sagde han.", ["Han tav.", "»Nej,« sagde han."]),
    ("Han tav. - Nej, siger han.", ["Han tav.", "- Nej, siger han."]),
    # sentence-final numbers that are not ordinals
    ("Loven strider mod artikel 34. Domstolen var enig.", None),
    ("Apollo-programmet sluttede med Apollo 17. Schmitt var med.", None),
    ("Befolkningen toppede i 1945. Derefter faldt den.", None),
    ("Tesla blev født i 1856. Han døde 1943.", None),
    # sentence-final abbreviations split before a capital ("end" in the data file)
    ("Vi købte æbler, pærer osv. Derefter gik vi hjem.", None),
    ("Mette, Lars m.fl. Alle kom.", ["Mette, Lars m.fl.", "Alle kom."]),
    ("Han spillede fodbold, tennis etc. Det var sjovt.", None),
    ("Det koster 100 kr. Det er for dyrt.", None),
    ("Renten steg 3 pct. Det overraskede.", None),
    ("Byen blev grundlagt år 500 f.Kr. Den voksede hurtigt.", None),
    ("Han hedder Jan. Han er 30 år.", ["Han hedder Jan.", "Han er 30 år."]),
    # single lowercase letters are words, not initials
    ("Han bor på en ø. Den ligger i Kattegat.", None),
    ("Det var USA. Ingen tvivl.", ["Det var USA.", "Ingen tvivl."]),
    # quotes: a quoted sentence end ends the outer sentence only after the closing quote
    (
        'Han sagde: "Vi kommer ikke. Det er slut." Derefter gik han.',
        ['Han sagde: "Vi kommer ikke. Det er slut."', "Derefter gik han."],
    ),
    (
        "Han sagde: »Vi kommer ikke. Det er slut.« Derefter gik han.",
        ["Han sagde: »Vi kommer ikke. Det er slut.«", "Derefter gik han."],
    ),
    (
        "Han sagde: “Vi kommer ikke. Det er slut.” Derefter gik han.",
        ["Han sagde: “Vi kommer ikke. Det er slut.”", "Derefter gik han."],
    ),
    ('Han svarede "nej". Derefter gik han.', ['Han svarede "nej".', "Derefter gik han."]),
    ('"Hvorfor?" Han spurgte igen.', ['"Hvorfor?"', "Han spurgte igen."]),
    # an unpaired inch mark does not hide the sentence ends after it
    (
        'Skærmen måler 15" i alt. Den er stor. Prisen er lav.',
        ['Skærmen måler 15" i alt.', "Den er stor.", "Prisen er lav."],
    ),
    ("(Se side 3.) Derefter fulgte resten.", ["(Se side 3.)", "Derefter fulgte resten."]),
    # a dialogue-dash line with two spoken sentences splits like any text
    (
        "- Det er slut. Vi går nu, siger han.",
        ["- Det er slut.", "Vi går nu, siger han."],
    ),
    # paragraph breaks and headlines
    (
        "Israel aflyser besøg\n\nDet Hvide Hus er skuffet.",
        ["Israel aflyser besøg", "Det Hvide Hus er skuffet."],
    ),
    (
        "Overskrift uden punktum\n   \n\nBrødtekst her.",
        ["Overskrift uden punktum", "Brødtekst her."],
    ),
    ("første afsnit slutter\n\nandet afsnit", ["første afsnit slutter", "andet afsnit"]),
    # single newline after a finished sentence
    (
        "Første linje.\nAnden linje.\nTredje linje!",
        ["Første linje.", "Anden linje.", "Tredje linje!"],
    ),
    ("Første linje.\n- Vi kommer, siger hun.", ["Første linje.", "- Vi kommer, siger hun."]),
    # Wikipedia-style citations stay with the sentence before
    ('Han skrev "slut.":245 Der var rygter.', ['Han skrev "slut.":245', "Der var rygter."]),
    ("", []),
    ("   \n\n  ", []),
    ("  Kun én sætning.  ", ["Kun én sætning."]),
]


def _two_halves(text: str) -> list[str]:
    """Expected sentences for cases written with None: split at the first '. '."""
    i = re.search(r"[.!?] ", text).end()  # type: ignore[union-attr]
    return [text[: i - 1], text[i:]]


@pytest.mark.parametrize(("text", "expected"), SPLIT)
def test_split(text: str, expected: list[str] | None) -> None:
    assert sentences(text) == (expected if expected is not None else _two_halves(text))


def test_spans_are_offsets_into_the_input() -> None:
    text = "  Første.  Anden!\n\nTredje "
    assert split_sentences(text) == [(2, 9), (11, 17), (19, 25)]


def test_seed_article_has_fifteen_sentences() -> None:
    body = SEED.read_text("utf-8").strip().removeprefix("date 2024-03").strip()
    got = sentences(body)
    assert len(got) == 15, got
    assert got[0].startswith("Det Hvide Hus siger mandag")
    assert got[3] == "- Vi er ret perplekse, siger John Kirby, der er talsmand for Det Hvide Hus."
    assert got[7] == "Gidslerne blev taget under Hamas' angreb på Israel 7. oktober."
    assert got[12].endswith("Jake Sullivan, tirsdag.")
    assert got[13].startswith("Pentagon siger")
    assert got[-1].endswith("siger Pat Ryder, der er talsmand for Pentagon.")


def test_abbreviations_come_from_the_data_file() -> None:
    never, may_end = segment._abbreviations()
    assert {"bl.a.", "f.eks.", "ca.", "kl.", "nr.", "hhv.", "dr.", "st."} <= never
    assert {"osv.", "m.fl.", "etc.", "mio.", "mia."} <= may_end
    assert not never & may_end
    assert all(a.endswith(".") and a == a.lower() for a in never | may_end)
    assert segment._abbreviations() is segment._abbreviations()  # loaded once


def test_squad_paragraphs_split_into_plausible_sentences() -> None:
    # Speed is measured in bench/, not here; this checks the count and that every
    # sentence is a verbatim slice of its paragraph.
    data = json.loads((DATA / "squad_da_dev.json").read_text("utf-8"))
    paragraphs = [p["context"] for a in data["data"] for p in a["paragraphs"]]
    count = 0
    for paragraph in paragraphs:
        for start, end in split_sentences(paragraph):
            assert paragraph[start:end].strip() == paragraph[start:end]
            count += 1
    assert 4500 < count < 5500


# --- properties -------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [
        *"abcæøå ABCÆØÅ 019 ...!!??…,:;\"'»«“”„()-–—\n\n\t ",
        "bl.a. ",
        "osv. ",
        "7. ",
        "Kl. ",
        "J. ",
        "\r\n",
        "\u2028",
        "\x85",
        "\xa0",
        "\u3000",
    ]
)
_TEXT = st.one_of(st.text(), st.lists(_ALPHABET, max_size=60).map("".join))


def _squash(s: str) -> str:
    return "".join(s.split())


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_spans_are_ordered_stripped_and_lose_nothing(text: str) -> None:
    spans = split_sentences(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        previous_end = end
    assert "".join(_squash(text[s:e]) for s, e in spans) == _squash(text)
    assert sentences(text) == [text[s:e] for s, e in spans]
