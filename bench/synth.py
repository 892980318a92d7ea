"""Benchmark corpora: the real Danish text, and synthetic Danish-like text of any size.

The synthetic corpus is sampled from a word-bigram model of the real sentences (the
SQuAD-da articles and the seed article), with their sentence lengths, so it has
Danish words, Danish word frequencies and realistic sentence lengths, but no meaning:
a question about the seed article finds many sentences that share its words and one
that answers it. The seed article sits inside every corpus. Everything comes from
`random.Random(seed)`, so the same size and seed give the same file.

Corpora are written as JSON Lines (`{"text", "title", "date"}`), the format of
`faktabot ingest`, under bench/out/ (never committed).

    python -m bench.synth --sentences 100000 [--seed 1] [--out bench/out/synth-100000.jsonl]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from faktabot.knowledge.parse import parse_text
from faktabot.knowledge.segment import split_sentences
from faktabot.knowledge.store import seed_text

from bench.squad_data import load

OUT = Path(__file__).resolve().parent / "out"
START, END = "<s>", "</s>"
UNIGRAM_SHARE = 0.15  # how often a word is drawn from the unigram list instead of the bigram
# Quotes are dropped (random ones would pair across sentences and merge them), and so is
# final punctuation inside a sentence (it would split it).
_QUOTES = re.compile(r"[\"“”„»«]")
_FINAL = re.compile(r"[.!?…:;]+$")


@dataclass
class Model:
    """Word bigrams of the real sentences, as successor lists (repetition = probability)."""

    successors: dict[str, list[str]]
    unigrams: list[str]
    lengths: list[int]

    @classmethod
    def from_sentences(cls, sentences: list[str]) -> Model:
        successors: dict[str, list[str]] = {}
        unigrams: list[str] = []
        lengths: list[int] = []
        for sentence in sentences:
            words = [w for w in (_FINAL.sub("", _QUOTES.sub("", t)) for t in sentence.split()) if w]
            if len(words) < 3:
                continue
            lengths.append(len(words))
            unigrams.extend(words[1:])
            for prev, word in zip([START, *words], [*words, END], strict=True):
                successors.setdefault(prev, []).append(word)
        return cls(successors, unigrams, lengths)

    def sentence(self, rng: random.Random) -> str:
        """One sentence of a length drawn from the real lengths, ending in a full stop."""
        rnd = rng.random
        length = self.lengths[int(rnd() * len(self.lengths))]
        words: list[str] = []
        prev = START
        while len(words) < length:
            nexts = self.successors.get(prev)
            if words and (nexts is None or rnd() < UNIGRAM_SHARE):
                nexts = self.unigrams
            word = nexts[int(rnd() * len(nexts))]
            if word == END:
                word = self.unigrams[int(rnd() * len(self.unigrams))]
            words.append(word)
            prev = word
        first = words[0]
        words[0] = first[:1].upper() + first[1:]
        return " ".join(words).rstrip(",-–") + "."


def real_sentences() -> list[str]:
    """Every sentence of the SQuAD-da articles and of the seed article."""
    texts = [a.text for a in load()[0]] + [parse_text(seed_text()).text]
    return [t[s:e] for t in texts for s, e in split_sentences(t)]


def seed_record() -> dict:
    seed = parse_text(seed_text(), source="seed_article.txt")
    return {"text": seed.text, "title": seed.title, "date": seed.date}


def real_records() -> Iterator[dict]:
    """The real corpus: every SQuAD-da article as one article, then the seed article."""
    for article in load()[0]:
        yield {"text": article.text, "title": article.title, "date": None}
    yield seed_record()


def synthetic_records(sentences: int, seed: int = 1) -> Iterator[dict]:
    """About `sentences` sentences in articles of 20-40 sentences, paragraphs of 1-6."""
    rng = random.Random(seed)
    model = Model.from_sentences(real_sentences())
    seed_article = seed_record()
    seed_sentences = len(split_sentences(seed_article["text"]))
    total_articles = max(1, (sentences - seed_sentences) // 30)
    seed_at = rng.randrange(total_articles)
    day0 = dt.date(2010, 1, 1)
    made = seed_sentences
    index = 0
    while made < sentences:
        if index == seed_at:
            yield seed_article
        size = min(rng.randint(20, 40), sentences - made)
        paragraphs, left = [], size
        while left:
            n = min(rng.randint(1, 6), left)
            paragraphs.append(" ".join(model.sentence(rng) for _ in range(n)))
            left -= n
        title = model.sentence(rng).rstrip(".").split()[: rng.randint(3, 8)]
        date = day0 + dt.timedelta(days=rng.randrange(5400))
        yield {"text": "\n\n".join(paragraphs), "title": " ".join(title), "date": date.isoformat()}
        made += size
        index += 1
    if index <= seed_at:
        yield seed_article


def write_jsonl(records: Iterator[dict], path: Path) -> Path:
    """Write records to `path` atomically (a half-written corpus is never reused)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def corpus(size: str, seed: int = 1, out: Path = OUT) -> Path:
    """The JSONL file of a corpus ("real" or a sentence count), made once and reused."""
    if size == "real":
        path = out / "real.jsonl"
        return path if path.exists() else write_jsonl(real_records(), path)
    path = out / f"synth-{int(size)}-seed{seed}.jsonl"
    return path if path.exists() else write_jsonl(synthetic_records(int(size), seed), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", default="100000", help='a count, or "real"')
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="file to write (default: under bench/out/)")
    args = parser.parse_args()
    if args.out:
        records = (
            real_records()
            if args.sentences == "real"
            else synthetic_records(int(args.sentences), args.seed)
        )
        print(write_jsonl(records, args.out))
    else:
        print(corpus(args.sentences, args.seed))


if __name__ == "__main__":
    main()
