"""Sentence splitting for Danish news text.

Facts are quoted back to the user verbatim, so the splitter only ever returns character
offsets into the input: every sentence is an exact substring, nothing is rewritten.

Rules, in order of strength:

1. A paragraph break (a blank line) always ends a sentence, so a headline without final
   punctuation followed by a blank line is a sentence of its own.
2. Inside a paragraph a sentence ends at ``.``, ``!``, ``?``, ``…`` or ``...`` (optionally
   followed by closing quotes/brackets) when whitespace (a single newline counts) and then
   a sentence start follow: an uppercase letter, a digit, an opening quote or a dialogue
   dash followed by a space. A lowercase word, a comma etc. never starts a sentence, so
   ``"meget skuffet" over`` and ``Hvad nu? spurgte han`` do not split. A line without
   final punctuation followed by a single newline is joined to the next line (hard wrap).
3. A single ``.`` is not a sentence end after an abbreviation from
   ``data/abbreviations.txt``, after initials (``J. F. Kennedy``, ``H.C. Andersen``), or
   after an ordinal (see ``_number_ends_sentence``). Abbreviations marked ``end`` in the
   data file (``osv.``, ``m.fl.``, ``etc.``, ``kr.``, ``mio.`` ...) are the exception: they
   often close a sentence, so they split before an uppercase letter, quote or dash, but
   not before a digit or a lowercase word. Numbers, dates and times with inner periods
   (``32.000``, ``kl. 14.30``, ``24.12.2023``) never split because no whitespace follows
   their inner periods.
4. Quotes: an end of sentence *inside* a quotation (``"Vi kommer ikke. Det er slut."``)
   does not end the outer sentence; the quotation ends it only when it closes with
   ``.!?`` and a sentence start follows the closing quote. Double quotes (``" “ ” „``)
   and guillemets (``» «``) are paired within a paragraph (see ``_quote_spans``); an
   unpaired quote is ignored, so a stray inch mark cannot swallow the rest of the
   paragraph. Single quotes are not tracked: in Danish they are mostly apostrophes
   (``Hamas'``, ``USA's``).
5. Dialogue-dash lines (``- Vi er ret perplekse, siger John Kirby, ...``) keep the dash
   inside the sentence; the ``, siger X`` attribution is never split off because a comma
   is not a sentence end. If the quoted speech itself has several sentences
   (``- Det er slut. Vi går nu, siger han.``) they are split like any other text.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

# A blank line ends a paragraph, whatever blank holds it (spaces, tabs, a non-breaking
# space): the one definition, for sentences and for paragraph numbers alike.
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_CLOSERS = "\"'”“»«’)]"
# A run of terminal punctuation, any closing quotes/brackets, then whitespace. Wikipedia-style
# page citations after the punctuation (`slut.":245 Der`) stay with the sentence before;
# they are common in the SQuAD benchmark text.
_CANDIDATE = re.compile(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*(?::\d+(?:[-–]\d+)?)?(?=\s+\S)")
_WS_AFTER = re.compile(r"\s+")
_DOUBLE_QUOTES = re.compile(r"[\"“”„]")
_GUILLEMETS = re.compile(r"[»«]")
_OPENERS = "\"'“„»«‘([-–—"
_QUOTE_STARTS = "\"“„»«'‘"
_DASHES = "-–—"
_ORDINAL = re.compile(r"\d{1,3}")
_PREVIOUS_WORD = re.compile(r"(\S+)\s+$")
# Words after which "<n>. <Capital>" is an ordinal, not a sentence end:
# "den 50. Super Bowl", "hans 2. Verdenskrig-roman".
_ORDINAL_CUES = frozenset(
    {"den", "det", "de", "dens", "dets", "hans", "hendes", "sin", "sit", "sine"}
    | {"deres", "vores", "jeres", "d.", "the"}
)


@functools.cache
def _abbreviations() -> tuple[frozenset[str], frozenset[str]]:
    """(never_final, may_end) abbreviations, lowercase with their final period.

    Kept in a data file so linguists can extend the list without touching code.
    """
    never: set[str] = set()
    may_end: set[str] = set()
    text = resources.files(__package__).joinpath("data/abbreviations.txt").read_text("utf-8")
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        word = fields[0].lower()
        if not word.endswith("."):
            raise ValueError(f"abbreviations.txt: {word!r} must end with a period")
        (may_end if fields[1:] == ["end"] else never).add(word)
    return frozenset(never), frozenset(may_end)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Half-open (start, end) character offsets of each sentence in `text`.

    Spans are ordered, non-overlapping and stripped of surrounding whitespace, so
    ``text[s:e]`` is the sentence exactly as written.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for brk in PARAGRAPH_BREAK.finditer(text):
        _split_paragraph(text, pos, brk.start(), spans)
        pos = brk.end()
    _split_paragraph(text, pos, len(text), spans)
    return spans


def paragraph_breaks(text: str) -> list[int]:
    """Where each paragraph break starts: a sentence starting after n of them is in
    paragraph n."""
    return [m.start() for m in PARAGRAPH_BREAK.finditer(text)]


def sentences(text: str) -> list[str]:
    """The sentences of `text` as verbatim substrings."""
    return [text[s:e] for s, e in split_sentences(text)]


def _split_paragraph(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    """Append the stripped sentence spans of text[start:end] to `out`."""
    quotes = _quote_spans(text, start, end)
    last = start
    for m in _CANDIDATE.finditer(text, start, end):
        cut = m.end()
        if _inside_quote(cut, quotes):
            continue
        nxt = _WS_AFTER.match(text, cut, end)
        if nxt is None or nxt.end() >= end:
            continue
        if _is_boundary(text, m, nxt.end(), last):
            _append_stripped(text, last, cut, out)
            last = cut
    _append_stripped(text, last, end, out)


def _append_stripped(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    """Append text[start:end] without surrounding whitespace, unless nothing is left."""
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        out.append((start + lead, start + lead + len(stripped)))


def _quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(open, close) indices of paired quotation marks in the paragraph.

    Straight quotes look the same at both ends, so each mark is classified by its
    neighbours: after whitespace or an opening bracket it opens, otherwise it closes.
    A closer without an opener (an inch mark, ``58.23"``) is ignored, and an opener that
    is never closed is dropped, so one stray mark cannot hide the sentence ends after it.
    """
    spans: list[tuple[int, int]] = []
    for pattern in (_DOUBLE_QUOTES, _GUILLEMETS):
        open_at: int | None = None
        for m in pattern.finditer(text, start, end):
            i = m.start()
            if i == start or text[i - 1].isspace() or text[i - 1] in _OPENERS:
                open_at = i
            elif open_at is not None:
                spans.append((open_at, i))
                open_at = None
    return spans


def _inside_quote(cut: int, quotes: list[tuple[int, int]]) -> bool:
    """True when a cut at `cut` would fall between an opening and its closing quote."""
    return any(a < cut <= b for a, b in quotes)


def _starts_sentence(text: str, i: int) -> bool:
    """Whether the character at `i` can begin a new sentence."""
    ch = text[i]
    if ch.isupper() or ch.isdigit() or ch in _QUOTE_STARTS:
        return True
    if ch in _DASHES:
        return i + 1 < len(text) and (text[i + 1].isspace() or text[i + 1].isupper())
    return False


def _is_boundary(text: str, m: re.Match[str], next_start: int, sentence_start: int) -> bool:
    """Decide whether the punctuation matched by `m` ends a sentence."""
    if not _starts_sentence(text, next_start):
        return False
    punct = m.group().rstrip("0123456789-–:").rstrip(_CLOSERS)
    if punct != ".":
        return True  # ! ? … ... and combinations are unambiguous ends
    period = m.start()
    tok_start = period
    while tok_start > sentence_start and not text[tok_start - 1].isspace():
        tok_start -= 1
    raw_token = text[tok_start:period]
    token = raw_token.lstrip(_OPENERS)
    if not token:
        return True
    if token[-1] in _CLOSERS:
        return True  # 'sagde "nej". Derefter' - the period follows a quote
    next_char = text[next_start]
    never, may_end = _abbreviations()
    word = token.lower() + "."
    if word in never:
        return False
    if word in may_end:
        # "osv. Derefter" ends a sentence; "3 mio. 200.000" or "mio. kr." does not.
        return not next_char.isdigit()
    if _is_initials(token):
        return False
    if _ORDINAL.fullmatch(token):
        if token != raw_token:
            return False  # "(1. Korinther 11)" - a number opening a bracket is an ordinal
        return _number_ends_sentence(text, tok_start, next_char, sentence_start)
    return True


def _is_initials(token: str) -> bool:
    """'J', 'H.C', 'A.P' - single uppercase letters joined by periods."""
    return all(len(p) == 1 and p.isupper() for p in token.split("."))


def _number_ends_sentence(text: str, tok_start: int, next_char: str, sentence_start: int) -> bool:
    """Whether "<1-3 digits>. X" ends a sentence.

    Years and amounts at the end of a sentence are common ("i 1945. Derefter",
    "artikel 34. Domstolen"), so we split by default and keep ordinals only where the
    context says so: another number follows ("7. 8. klasse"), the number opens the
    sentence ("1. Verdenskrig ..."), or follows a determiner ("den 50. Super Bowl") or a
    comma ("Collingwood, 1. Baron").
    """
    if next_char.isdigit():
        return False
    before = text[max(sentence_start, tok_start - 40) : tok_start]
    if not before.strip():
        return False
    prev = _PREVIOUS_WORD.search(before)
    if prev is None:
        return True
    word = prev.group(1)
    return not (word.endswith(",") or word.lower() in _ORDINAL_CUES)
