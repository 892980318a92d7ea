"""Find the part of a sentence that answers the kind of question asked.

"Hvor mange" wants a number, "hvornår" a date or a time, "hvem" a name,
"hvor" a place. The span is shown in bold; its presence is also a ranking hint.
"""

from __future__ import annotations

import re
from functools import cache

from .lexicon import DATA, is_known, keys, nationalities, read_lines, stopwords
from .normalize import fold, tokens

_NUMBER = re.compile(
    r"(?:(?:mere|mindre|flere|færre) end |omkring |cirka |ca\. |over |under |næsten |knap |"
    r"godt |op til |mindst |højst )?"
    r"\d+(?:[.,]\d+)*(?: ?(?:%|procent|mio\.|mia\.|millioner|milliarder|tusind|tusinde))?",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    r"to|tre|fire|fem|seks|syv|otte|ni|ti|elleve|tolv|tyve|tredive|fyrre|halvtreds|tres|"
    r"halvfjerds|firs|halvfems|hundrede|tusind|tusinde|million|millioner|milliard|milliarder"
)
_NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
_CLOCK = re.compile(r"\bkl\. ?\d{1,2}(?:[.:]\d\d)?")
_DAY_MONTH = re.compile(r"\b\d{1,2}\. ?[a-zæøå]+(?: \d{4})?")
_WORD = r"(?:[A-ZÆØÅ][\w’'-]*[a-zæøå]|[A-ZÆØÅ]{2,})"
_INITIALS = r"(?:[A-ZÆØÅ]\.[ ]?)+"  # "J. F. ", "H.C. "
_PARTICLE = r"(?:af|de|van|von|der|den|bin|al|la|le|du|da|di|ter)"
_NAME = re.compile(
    rf"(?<![\w.])(?:{_INITIALS}{_WORD}|{_WORD})"
    rf"(?:[ -](?:{_PARTICLE}[ -])*(?:{_INITIALS})?{_WORD})*"
)
_PLACE = re.compile(r"\b(?:i|på|fra|ved|til|nær) ((?:[A-ZÆØÅ][\w’'-]+)(?: [A-ZÆØÅ][\w’'-]+)*)")


@cache
def _time_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Exact time words ("mandag", "oktober") and vague ones ("tidligere"), marked "~"."""
    lines = read_lines(DATA / "time_words.txt")
    exact = sorted((w for w in lines if not w.startswith("~")), key=len, reverse=True)
    vague = sorted((w[1:] for w in lines if w.startswith("~")), key=len, reverse=True)
    return tuple(  # type: ignore[return-value]
        re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
        for words in (exact, vague)
    )


@cache
def _reason_pattern() -> re.Pattern[str]:
    cues = sorted(read_lines(DATA / "reason_cues.txt"), key=len, reverse=True)
    # From the cue to the end of its clause.
    return re.compile(
        r"\b(?:" + "|".join(map(re.escape, cues)) + r")(?![\wæøå])[^,;:]*", re.IGNORECASE
    )


Span = tuple[int, int]


def find_span(sentence: str, kind: str | None, *, avoid: set[str] = frozenset()) -> Span | None:
    """Offsets of the answer of this kind in the sentence, skipping words the question named."""
    finder = _FINDERS.get(kind or "")
    if finder is None:
        return None
    for start, end in finder(sentence):
        text = sentence[start:end]
        if fold(text) not in avoid and not _all_named(text, avoid):
            return start, end
    return None


def _all_named(text: str, avoid: set[str]) -> bool:
    """Whether the question already named every content word of this span."""
    words = [fold(w) for w in re.findall(r"\w+", text)]
    words = [w for w in words if w not in stopwords()]
    return bool(words) and all(w in avoid for w in words)


def _numbers(sentence: str) -> list[Span]:
    """Counts and amounts; the day of a date ("7. oktober") counts nothing."""
    dates = [m.span() for m in _DAY_MONTH.finditer(sentence) if _is_month_date(m.group())]
    found = [m.span() for m in _NUMBER.finditer(sentence)]
    found += [m.span() for m in _NUMBER_WORD.finditer(sentence)]
    return sorted(f for f in found if not any(s <= f[0] < e for s, e in dates))


def _times(sentence: str) -> list[Span]:
    exact, vague = _time_patterns()
    found = [m.span() for m in _CLOCK.finditer(sentence)]
    found += [m.span() for m in _DAY_MONTH.finditer(sentence) if _is_month_date(m.group())]
    found += [m.span() for m in exact.finditer(sentence)]
    found += [m.span() for m in _YEAR.finditer(sentence)]
    # A vague word ("tidligere") only when nothing exact is there.
    return _outermost(found) + _outermost([m.span() for m in vague.finditer(sentence)])


@cache
def _time_words() -> frozenset[str]:
    words = read_lines(DATA / "time_words.txt")
    return frozenset(w.lower() for w in words if " " not in w and not w.startswith("~"))


def _is_month_date(text: str) -> bool:
    month = text.split(".", 1)[1].split()[0].lower() if "." in text else ""
    return month in _time_words()


def names(sentence: str) -> list[Span]:
    """The names in a sentence: people (longest first), then countries and places."""
    spans, first = [], []
    for m in _NAME.finditer(sentence):
        start, end = m.span()
        text = m.group()
        # The first word of a sentence is capitalised anyway: a single word there counts
        # only when it is no ordinary Danish word ("Kirby siger", not "Gidslerne blev").
        if start == 0 and " " not in text:
            if not is_known(text.lower()):
                first.append((start, end))
            continue
        spans.append((start, end))
    # Names of several words ("Lloyd Austin") before single ones, and a country or
    # place ("USA", "Gaza") only when no one is named.
    people = [s for s in spans if not is_country(sentence[s[0] : s[1]])]
    places = [s for s in spans if is_country(sentence[s[0] : s[1]])]
    return sorted(people, key=lambda s: (-sentence[s[0] : s[1]].count(" "), s[0])) + first + places


def is_country(text: str) -> bool:
    """A name that points to a country (its name, capital or institutions)."""
    countries = nationalities()
    words = tokens(text)
    return bool(words) and all(any(k in countries for k in keys(t.raw)) for t in words)


def _reasons(sentence: str) -> list[Span]:
    return [m.span() for m in _reason_pattern().finditer(sentence)]


def _places(sentence: str) -> list[Span]:
    return [m.span(1) for m in _PLACE.finditer(sentence)]


def _outermost(spans: list[Span]) -> list[Span]:
    """Drop spans inside others; keep sentence order."""
    spans = sorted(set(spans), key=lambda s: (s[0], -s[1]))
    out: list[Span] = []
    for span in spans:
        if out and span[0] < out[-1][1]:
            continue
        out.append(span)
    return out


_FINDERS = {
    "number": _numbers,
    "time": _times,
    "person": names,
    "place": _places,
    "reason": _reasons,
}
