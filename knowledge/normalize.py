"""Danish text normalisation shared by the index and the question side.

Both sides must fold text the same way, or a question typed on a keyboard
without æ/ø/å ("draebt", "hvornaar") would never meet the article's words.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})

# A number with thousands separators ("32.000", "1.160.000") or decimals ("3,5");
# a word of letters, optionally with an inner apostrophe ("FN's"). A hyphen splits:
# "NFL-kommissæren" is matched as "NFL kommissæren".
_TOKEN = re.compile(
    r"\d+(?:[.,]\d+)*"
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*",
)
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_MENTION = re.compile(r"(?<![\w@])@\w{2,}")
_LEADING_COMMAND = re.compile(r"^\s*/[A-Za-z0-9_]+(?:@\w+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


class Token(NamedTuple):
    """A word as written (`raw`, lower case) and folded (`norm`), with its offsets."""

    raw: str
    norm: str
    start: int
    end: int


def fold(text: str) -> str:
    """Lower-case and spell æ/ø/å as ae/oe/aa, and drop other accents.

    Compatibility forms are decomposed first ("ǽ" -> "æ" -> "ae"), so folding twice
    changes nothing.
    """
    text = text.casefold().translate(_FOLD)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text.casefold().translate(_FOLD)


def normalize_number(text: str) -> str:
    """Write a number the one way the index knows: "32.000" -> "32000", "3.5" -> "3,5".

    Danish writes decimals with a comma; a comma is never read as a thousands separator,
    so normalising twice changes nothing.
    """
    if _THOUSANDS.match(text):
        return text.replace(".", "")
    return text.replace(".", ",")


def tokens(text: str) -> list[Token]:
    """Split text into words and numbers; possessive endings are kept on the word."""
    out = []
    for m in _TOKEN.finditer(text):
        raw = m.group().lower().replace("’", "'")
        if raw[0].isdigit():
            norm = normalize_number(raw)
        else:
            # "FN's" and "Hamas'" are the words FN and Hamas for matching.
            raw = raw.removesuffix("'s").rstrip("'")
            # Some letters decompose to a letter and a mark ("Ŀ" -> "l·"): keep the letters.
            norm = "".join(c for c in fold(raw) if c.isalnum() or c == "'")
        out.append(Token(raw, norm, m.start(), m.end()))
    return out


def word_surfaces(text: str) -> list[str]:
    """The words and numbers of `text` as written: what `tokens` reads, without the work.

    For callers that analyse each distinct word once (`tokens(surface)[0]` gives its Token).
    """
    return _TOKEN.findall(text)


def clean_question(text: str) -> str:
    """Remove what is addressed to the bot rather than asked: @mentions, a leading /command."""
    text = _CONTROL.sub(" ", text)
    text = _LEADING_COMMAND.sub(" ", text, count=1)
    text = _MENTION.sub(" ", text)
    return " ".join(text.split())


def normalize_text(text: str) -> str:
    """A folded, single-spaced form of a sentence, for string similarity."""
    return " ".join(t.norm for t in tokens(text))
