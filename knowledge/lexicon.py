"""Danish word knowledge: stop words, question words, lemmas, stems, compounds.

The word lists are data files in `knowledge/data/`; this module only loads them
and answers questions about single words. Everything returned is folded
(see `normalize.fold`) so that index and question meet on the same spelling.
"""

from __future__ import annotations

import itertools
import math
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import simplemma
import Stemmer

from .normalize import fold, normalize_number, tokens

DATA = resources.files(__package__) / "data"
_LANG = "da"
_stemmer = Stemmer.Stemmer("danish")


def read_lines(path: Path | resources.abc.Traversable) -> list[str]:
    """Non-empty lines of a data file, without `#` comments."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


@cache
def stopwords() -> frozenset[str]:
    """Folded Danish function words."""
    return frozenset(fold(w) for w in read_lines(DATA / "stopwords.txt"))


@cache
def question_phrases() -> tuple[tuple[tuple[str, ...], frozenset[int], str], ...]:
    """(folded words, positions kept as search words, answer type), longest phrases first."""
    rows = []
    for line in read_lines(DATA / "question_words.txt"):
        phrase, kind = line.split("\t")
        words = phrase.split()
        kept = frozenset(i for i, w in enumerate(words) if w.startswith("+"))
        folded = tuple(fold(w.lstrip("+")) for w in words)
        rows.append((folded, kept, kind.strip()))
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def answer_type(words: list[str]) -> tuple[str | None, frozenset[int]]:
    """The answer type asked for by the question words, and the positions they take up.

    Danish puts the question word first, but a question may open with other words
    ("kan du sige mig, hvor mange ..."), so the earliest question phrase counts.
    """
    for offset in range(len(words)):
        for phrase, kept, kind in question_phrases():
            if tuple(words[offset : offset + len(phrase)]) == phrase:
                used = {offset + i for i in range(len(phrase)) if i not in kept}
                return kind, frozenset(used)
    return None, frozenset()


@cache
def extra_lemmas() -> dict[str, tuple[str, ...]]:
    """Readings the lemmatiser misses ("talt" is said as well as counted)."""
    table = {}
    for line in read_lines(DATA / "lemmas.txt"):
        word, lemmas = line.split("\t")
        table[word.strip()] = tuple(lemmas.split())
    return table


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Dictionary form of a lower-case word (simplemma), or the word itself."""
    return simplemma.lemmatize(word, lang=_LANG).lower()


@lru_cache(maxsize=200_000)
def is_known(word: str) -> bool:
    """Whether the word is in the Danish dictionary (so it is no typo)."""
    return len(word) > 1 and simplemma.is_known(word, lang=_LANG)


@lru_cache(maxsize=200_000)
def keys(word: str) -> tuple[str, ...]:
    """Index keys of a lower-case word: its folded lemma and folded Snowball stem.

    Lemmas join dræbt/dræbte/dræber; stems join forms the dictionary lacks.
    """
    if word[0].isdigit():
        # One token for SQLite's tokenizer too, which splits at "." and ",":
        # "32.000" -> "32000", "3,5" -> "3x5".
        return (normalize_number(word).replace(",", "x"),)
    forms = [lemma(word), _stemmer.stemWord(word)]
    for extra in extra_lemmas().get(word, ()):
        forms += [extra, _stemmer.stemWord(extra)]
    # A few letters fold to a space and a mark ("ͺ" -> " "): a key is one FTS token.
    found = dict.fromkeys("".join(fold(f).split()) for f in forms)
    return tuple(k for k in found if k)


@lru_cache(maxsize=200_000)
def compound_parts(word: str) -> tuple[str, ...]:
    """Keys of the known tail and head of a compound ("forsvarsminister" -> minister, forsvar).

    Danish writes compounds as one word, so "minister" must find "forsvarsminister"
    and "pressetalsmand" must find "talsmand".
    """
    if len(word) < 8 or word[0].isdigit() or not word.isalpha():
        return ()
    base = lemma(word)
    parts: list[str] = []
    for i in range(3, len(base) - 3):
        tail = base[i:]
        if len(tail) >= 4 and is_known(tail) and fold(tail) not in stopwords():
            parts.extend(keys(tail))
            head = base[:i]
            for h in (head, head.removesuffix("s"), head.removesuffix("e")):
                if len(h) >= 4 and is_known(h) and fold(h) not in stopwords():
                    parts.extend(keys(h))
                    break
            break
    return tuple(dict.fromkeys(p for p in parts if p))


_FOLDED_LETTERS = (("ae", "æ"), ("oe", "ø"), ("aa", "å"))


@lru_cache(maxsize=50_000)
def respell(word: str, *, limit: int = 16) -> tuple[str, ...]:
    """Spellings with æ/ø/å for a word typed as ae/oe/aa ("draebt" -> "dræbt"), known ones only."""
    if not word.isascii() or not any(a in word for a, _ in _FOLDED_LETTERS):
        return ()
    # Positions where a two-letter fold could stand for one Danish letter.
    spots = [
        (i, letter)
        for i in range(len(word) - 1)
        for pair, letter in _FOLDED_LETTERS
        if word[i : i + 2] == pair
    ]
    found = []
    for choice in itertools.product((False, True), repeat=min(len(spots), 4)):
        if not any(choice):
            continue
        out, skip = [], -1
        chosen = {spots[j][0]: spots[j][1] for j, on in enumerate(choice) if on}
        for i, c in enumerate(word):
            if i == skip:
                continue
            if i in chosen and i - 1 != skip - 1:
                out.append(chosen[i])
                skip = i + 1
            else:
                out.append(c)
        candidate = "".join(out)
        if is_known(candidate):
            found.append(candidate)
        if len(found) >= limit:
            break
    return tuple(dict.fromkeys(found))


@cache
def nationalities() -> dict[str, str]:
    """Search key -> country code, for every word that points to a country."""
    table: dict[str, str] = {}
    for line in read_lines(DATA / "nationalities.txt"):
        code, words = line.split(":", 1)
        for word in words.split(","):
            for tok in tokens(word):
                for key in keys(tok.raw):
                    table.setdefault(key, code.strip())
    return table


UNLISTED = 0.5  # count given to a key the frequency table does not list (met at most once)


@cache
def rarity() -> tuple[dict[str, float], float]:
    """How rare each search key is in Danish prose at large (`data/key_frequencies.tsv`):
    log(1 + sentences / sentences holding it); then the rarity of an unlisted key.

    An index's own idf says how rare a word is among the articles indexed, which with one
    short article says little; this says how rare it is in Danish.
    """
    lines = read_lines(DATA / "key_frequencies.tsv")
    total = float(lines[0].split("\t")[1])
    table = {}
    for line in lines[1:]:
        key, count = line.split("\t")
        table[key] = math.log(1 + total / float(count))
    return table, math.log(1 + total / UNLISTED)


@cache
def contrasts() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """Folded negation words, and each word's opposites, both ways.

    A word stands as written and as its lemma, so "største" meets "mindste" and "lille".
    """
    negations: frozenset[str] = frozenset()
    opposites: dict[str, set[str]] = {}
    for line in read_lines(DATA / "contrasts.txt"):
        if line.startswith("negation:"):
            negations = frozenset(fold(w.strip()) for w in line.split(":", 1)[1].split(","))
            continue
        left, right = ({fold(w.strip()), fold(lemma(w.strip()))} for w in line.split("|"))
        for one, other in ((left, right), (right, left)):
            for form in one:
                opposites.setdefault(form, set()).update(other)
    return negations, {k: frozenset(v) for k, v in opposites.items()}
