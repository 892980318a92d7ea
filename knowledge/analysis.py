"""Turn a sentence into the search terms the index stores for it, and an article into
the rows of its facts: the one analysis that ingest and re-analysis share."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from .lexicon import DATA, compound_parts, keys, stopwords
from .model import ArticleInput
from .normalize import tokens, word_surfaces
from .segment import paragraph_breaks, split_sentences

# Bump when the code that turns a sentence into terms changes: stored terms are then
# recomputed when a database is opened (the word lists are fingerprinted by content).
# 2: numbers one FTS token ("32.000" -> "32000"); 3: each sentence's cohesion; 4: titles;
# 5: each article's repeat ratio; 6: no whitespace inside a key. (Cohesion and the repeat
# ratio are no longer stored.)
ANALYSIS_VERSION = 6
# The word lists that stored terms are derived from. `key_frequencies.tsv` is not one: only
# questions read it (`lexicon.rarity`), nothing stored depends on it.
ANALYSIS_FILES = ("stopwords.txt", "lemmas.txt")


def analysis_fingerprint() -> str:
    """Identity of the analysis that produced a database's stored terms."""
    digest = hashlib.sha256(str(ANALYSIS_VERSION).encode())
    for name in ANALYSIS_FILES:
        digest.update((DATA / name).read_bytes())
    return digest.hexdigest()[:16]


class SentenceTerms(NamedTuple):
    terms: str  # space-separated keys of each content word, in order
    parts: str  # keys of compound parts, which count for less
    words: dict[str, str]  # folded surface form -> surface form, for typo correction
    norm: str = ""  # every word folded, single-spaced: `normalize_text` of the sentence


class _Word(NamedTuple):
    """What one written word contributes to a sentence's terms."""

    norm: str  # folded
    content: bool  # not a stop word
    keys: str  # "|"-joined index keys
    parts: tuple[str, ...]  # keys of its compound parts
    typo_form: str | None  # the form the typo list keeps; None for numbers


WORD_CACHE = 200_000  # distinct written words kept analysed (numbers make the set unbounded)
_analysed: dict[str, _Word] = {}


def _word(surface: str) -> _Word:
    """One written word, analysed once: news repeats its words, so ingest mostly hits this cache."""
    found = _analysed.get(surface)
    if found is None:
        if len(_analysed) >= WORD_CACHE:
            _analysed.clear()
        found = _analysed[surface] = _analyse_word(surface)
    return found


def _analyse_word(surface: str) -> _Word:
    tok = tokens(surface)[0]
    if tok.norm in stopwords():
        return _Word(tok.norm, False, "", (), None)
    # The folded form itself where it is how the word is written: the same object, so a
    # pickled batch of words (`ArticleWords`) sends it once.
    typo_form = None if tok.raw[0].isdigit() else tok.norm if tok.raw == tok.norm else tok.raw
    return _Word(tok.norm, True, "|".join(keys(tok.raw)), compound_parts(tok.raw), typo_form)


def sentence_terms(text: str) -> SentenceTerms:
    """Keys of every content word of a sentence, as the FTS index and the scorer read them.

    The hottest loop of an ingest: the cache is read inline and each word unpacked once.
    """
    terms: list[str] = []
    parts: list[str] = []
    norms: list[str] = []
    words: dict[str, str] = {}
    analysed = _analysed
    for surface in word_surfaces(text):
        word = analysed.get(surface) or _word(surface)
        norm, content, joined_keys, word_parts, typo_form = word
        norms.append(norm)
        if not content:
            continue
        terms.append(joined_keys)
        if word_parts:
            parts.extend(word_parts)
        if typo_form is not None and norm not in words:
            words[norm] = typo_form
    return SentenceTerms(
        " ".join(terms),
        " ".join(dict.fromkeys(parts)) if parts else "",
        words,
        " ".join(norms),
    )


def split_terms(terms: str) -> list[tuple[str, ...]]:
    """The stored `terms` text back as one tuple of keys per content word."""
    return [tuple(w.split("|")) for w in terms.split()]


def title_keys(title: str) -> str:
    """Every key of a title's words and compound parts, once each: a title names the topic."""
    analysed = sentence_terms(title)
    keys = analysed.terms.replace("|", " ").split() + analysed.parts.split()
    return " ".join(dict.fromkeys(keys))


class ArticleWords(NamedTuple):
    """An article's contribution to the typo list (`words`), compact: it crosses a pipe."""

    seen: list[str]  # each sentence's distinct folded words, in one list: counted, the df
    first: dict[str, str]  # folded word -> the form it was first written in


NO_WORDS = ArticleWords([], {})


@dataclass(frozen=True, slots=True)
class Prepared:
    """An article split and analysed, ready to insert (no rows: its text is already stored)."""

    item: ArticleInput
    digest: str
    rows: list[tuple]  # the facts columns after article_id, except the sentence
    words: ArticleWords = NO_WORDS


def content_hash(text: str) -> str:
    """Identity of an article's text: whitespace and case do not make a new article."""
    return hashlib.sha256(" ".join(text.split()).casefold().encode()).hexdigest()


def analyse_article(text: str) -> tuple[list[tuple], ArticleWords]:
    """An article's facts rows and its words for the typo list.

    A row is what the writer stores but the article id and the sentence itself, which the
    writer slices from the text it holds: the rows cross from the ingest worker through a
    pipe, and the texts were a fifth of what crossed. The words cross as one list and one
    dict an article: a dict a sentence cost more to send than the rows.
    """
    return analyse_spans(text, split_sentences(text))


def analyse_spans(text: str, spans: list[tuple[int, int]]) -> tuple[list[tuple], ArticleWords]:
    """`analyse_article` of the sentences at `spans` (an ingest's own, or those stored)."""
    rows = []
    seen: list[str] = []
    per_sentence: list[dict[str, str]] = []
    breaks = paragraph_breaks(text)
    for position, (start, end) in enumerate(spans):
        analysed = sentence_terms(text[start:end])
        seen += analysed.words
        per_sentence.append(analysed.words)
        paragraph = bisect.bisect(breaks, start)
        terms, parts = analysed.terms, analysed.parts
        rows.append((position, paragraph, start, end, analysed.norm, terms, parts))
    first: dict[str, str] = {}
    for words in reversed(per_sentence):  # the first surface form seen wins
        first.update(words)
    return rows, ArticleWords(seen, first)


def analyse_many(texts: list[str]) -> list[tuple[list[tuple], ArticleWords]]:
    """What the ingest worker process does with one chunk of articles."""
    return [analyse_article(text) for text in texts]


def word_count(terms: str) -> int:
    """Content words of a fact, from its stored terms (one space-separated group each)."""
    return terms.count(" ") + 1 if terms else 0
