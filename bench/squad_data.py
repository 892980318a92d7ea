"""Load SQuAD-da as faktabot articles, and judge a quoted sentence against the gold answers.

Each SQuAD article becomes one faktabot article whose paragraphs are separated by
blank lines; a sentence is right when it lies in the question's own paragraph and
contains one of the gold answer strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SQUAD = SHARED / "squad_da_dev.json"


@dataclass(frozen=True)
class Question:
    text: str
    article: int  # index in the file
    paragraph: int
    answers: tuple[str, ...]


@dataclass(frozen=True)
class SquadArticle:
    title: str
    text: str
    bounds: tuple[tuple[int, int], ...]  # character range of each paragraph in text


def load(path: Path = SQUAD) -> tuple[list[SquadArticle], list[Question]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles, questions = [], []
    for a_index, article in enumerate(data):
        parts, bounds, offset = [], [], 0
        for p_index, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"].strip()
            bounds.append((offset, offset + len(context)))
            parts.append(context)
            offset += len(context) + 2
            for qa in paragraph["qas"]:
                answers = tuple({a["text"] for a in qa["answers"] if a["text"].strip()})
                if answers:
                    questions.append(Question(qa["question"], a_index, p_index, answers))
        title = article["title"].replace("_", " ")
        articles.append(SquadArticle(title, "\n\n".join(parts), tuple(bounds)))
    return articles, questions


def paragraph_of(article: SquadArticle, start: int) -> int:
    for index, (lo, hi) in enumerate(article.bounds):
        if lo <= start < hi:
            return index
    return -1


def is_right(question: Question, article_index: int, paragraph: int, sentence: str) -> bool:
    return (
        article_index == question.article
        and paragraph == question.paragraph
        and any(answer in sentence for answer in question.answers)
    )


Where = dict[int, tuple[int, int, str]]  # fact id -> (article index, paragraph, sentence)


def index_articles(articles, indexed, *, seed: bool = True):
    """A knowledge base holding these SQuAD articles (and the seed article unless told not).

    Returns the knowledge and, for every fact of a SQuAD article, where it stands.
    """
    from faktabot.knowledge import ArticleInput, Knowledge, Store

    kb = Knowledge(Store.open(":memory:", seed=seed))
    ids = {}
    for index in indexed:
        a = articles[index]
        ids[kb.store.add(ArticleInput(a.text, title=a.title)).article.id] = index
    where: Where = {}
    for fid, aid, start, text in kb.store.db.execute(
        "SELECT id, article_id, start, text FROM facts"
    ):
        if aid in ids:
            index = ids[aid]
            where[fid] = (index, paragraph_of(articles[index], start), text)
    return kb, where
