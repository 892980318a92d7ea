"""`Knowledge`: the one object the bot and the CLI talk to.

It owns a store and a matcher and keeps the read-side caches fresh when
another process ingests or removes articles.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from .database import reading
from .decide import Decision, decision_features, holds, question_facts
from .dialogue import FollowUp, declined_turn, follow_up, turn_of
from .embed import Embedder, cosines
from .lexicon import is_known
from .match import Candidate, fuse, question_idfs, rank
from .model import (
    Answer,
    Article,
    ArticleInput,
    Explanation,
    Fact,
    Hit,
    Passage,
    Result,
    Turn,
)
from .normalize import clean_question, fold
from .params import DecisionParams, Params
from .query import Query, analyse
from .smalltalk import MORE, phrasebook
from .spans import find_span
from .store import Store
from .synonyms import Synonyms
from .vectors import Vectors
from .view import DEFAULT_LIMITS, IndexView, Limits
from .writes import IngestResult

MAX_QUESTION = 500  # characters; longer messages are not questions (the one limit, bot included)
SYNONYM_CHECK_SECONDS = 5.0  # how often refresh() looks at the operator's synonym files
# Two sentences "answer about equally well" when their rank scores are this close (and the
# same question words were found in both); the newer article's is then quoted.
NEWER_WITHIN = 0.1
NEWER_RIVALS = 6  # how far down the ranking a newer near-equal is looked for

logger = logging.getLogger(__name__)


class Knowledge:
    """Articles, their facts, and answers to questions about them."""

    def __init__(
        self,
        store: Store,
        *,
        synonyms: Synonyms | None = None,
        params: Params | None = None,
        candidates: int = 100,
        synonym_files: Iterable[str | Path] = (),
        clock: Callable[[], float] = time.monotonic,
        embedder: Embedder | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self.limits = limits
        # With an embedder, the lexical best are re-ranked by meaning too (`match.fuse`)
        # where all of them have their vectors; else the question is answered lexically.
        self.embedder = embedder
        self.vectors = Vectors(store, embedder.name) if embedder is not None else None
        # The operator's synonym files are watched: refresh() reloads them when they change.
        self.synonym_files = tuple(Path(p) for p in synonym_files)
        self.synonym_check_seconds = SYNONYM_CHECK_SECONDS
        self.clock = clock
        self._synonym_stamps = _stamps(self.synonym_files)
        self._synonyms_checked = clock()
        self.synonyms = synonyms or Synonyms.load(*self.synonym_files)
        self.params = params or Params.bundled()
        self.candidates = candidates
        self._view: IndexView | None = None
        self._content: str | None = None

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        seed: bool = True,
        synonyms: Iterable[Path] = (),
        embedder: Embedder | None = None,
    ) -> Knowledge:
        return cls(Store.open(path, seed=seed), synonym_files=synonyms, embedder=embedder)

    # -- freshness -----------------------------------------------------------

    def refresh(self) -> bool:
        """Drop cached statistics if the articles changed; True when they did.

        Also reloads the operator's synonym files when they changed on disk.
        """
        self.reload_synonyms()
        version = self.store.version()
        if self._view is not None and self._view.version == version:
            return False
        content = _content_version(self.store)
        if self._view is not None and content is not None and content == self._content:
            # Something else in the database changed (the curator's log): same statistics.
            self._view.version = version
            return False
        self._view = IndexView(self.store, limits=self.limits)
        self._content = content
        return True

    def reload_synonyms(self, *, force: bool = False) -> bool:
        """Reload the synonym files if one changed (looked at every few seconds at most)."""
        now = self.clock()
        if not self.synonym_files:
            return False
        if not force and now - self._synonyms_checked < self.synonym_check_seconds:
            return False
        self._synonyms_checked = now
        stamps = _stamps(self.synonym_files)
        if stamps == self._synonym_stamps or None in stamps:
            return False  # unchanged, or a file is being replaced: keep what we have
        try:
            synonyms = Synonyms.load(*self.synonym_files)
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("Keeping the old synonyms: cannot read a synonym file (%s)", exc)
            return False
        self.synonyms, self._synonym_stamps = synonyms, stamps
        logger.info("Reloaded synonyms from %s", ", ".join(map(str, self.synonym_files)))
        return True

    def decision_for(self, ranked: list[Candidate]) -> Decision:
        """The lexical decision, or the semantic one where the best candidate was ranked
        with vectors."""
        return Decision.of(self._decision_params(ranked))

    def _decision_params(self, ranked: list[Candidate]) -> DecisionParams:
        semantic = self.params.semantic
        if semantic is not None and ranked and "cosine" in ranked[0].features:
            return semantic.decision
        return self.params.decision

    @property
    def semantic(self) -> bool:
        """Whether questions are matched by meaning too (an embedder and fitted weights)."""
        return self.vectors is not None and self.params.semantic is not None

    @property
    def view(self) -> IndexView:
        self.refresh()
        assert self._view is not None
        return self._view

    # -- questions -----------------------------------------------------------

    def analyse(self, question: str) -> tuple[Query, list[Candidate]]:
        """The question's reading and its ranked candidates."""
        view = self.view
        query = analyse(question, view, self.synonyms)
        if not query.words:
            return query, []
        ranked = rank(self.store, view, query, params=self.params.rank, limit=self.candidates)
        return query, self._by_meaning(question, ranked)

    def _by_meaning(self, question: str, ranked: list[Candidate]) -> list[Candidate]:
        """The lexical best re-ranked with their cosines, when every one has its vector."""
        semantic = self.params.semantic
        if not self.semantic or not ranked:
            return ranked
        assert self.vectors is not None and self.embedder is not None and semantic is not None
        head = ranked[: semantic.rerank]
        stored = self.vectors.get(c.fact_id for c in head)
        if len(stored) < len(head):
            return ranked  # new facts not embedded yet: lexical until they are
        query = self.embedder.queries([question])[0]
        found = cosines(query, [stored[c.fact_id] for c in head])
        return fuse(ranked, found.tolist(), weight=semantic.cosine)

    def ask(
        self,
        question: str,
        *,
        alternatives: int = 3,
        within: int | None = None,
        exclude: Collection[int] = (),
    ) -> Result:
        """The sentence that answers the question, or none with the closest facts.

        With `within` (an article id), only that article's sentences are candidates: a
        follow-up is looked up where the previous answer stood first. A sentence
        `exclude`d is never the answer ("hvad ellers?").
        """
        problem = _problem(question)
        if problem:
            return Result(question, None, problem=problem)
        # One snapshot of the database for the whole lookup: an article replaced by a new
        # version meanwhile is seen whole, old or new, never ranked in one and read in the
        # other.
        with reading(self.store.db):
            query, ranked = self.analyse(question)
            if not query.words:
                return Result(question, None, problem="no_words")
            if exclude:
                ranked = [c for c in ranked if c.fact_id not in exclude]
            if within is not None:
                ranked = [c for c in ranked if c.article_id == within]
            return self._result(question, query, ranked, alternatives)

    def _result(
        self,
        question: str,
        query: Query,
        ranked: list[Candidate],
        alternatives: int,
    ) -> Result:
        distinct = self._newest_first(_distinct(ranked))
        features = self.decide_on(query, distinct)
        decision = self.decision_for(distinct)
        confidence = decision.confidence(features)
        threshold = decision.threshold
        explanation = _explain(query, ranked[0] if ranked else None, confidence, threshold)
        facts = self.store.facts(c.fact_id for c in distinct[: alternatives + 1])
        # Every score on the confidence scale: the best sentence has the confidence, the
        # others a share of it in proportion to their rank score.
        best = max(distinct[0].score, 1e-9) if distinct else 1.0
        hits = [
            Hit(facts[c.fact_id], round(confidence * max(c.score, 0.0) / best, 4))
            for c in distinct
            if c.fact_id in facts
        ]
        if not hits or confidence < threshold:
            turn = declined_turn(query, hits[0].fact) if hits else None
            return Result(question, None, tuple(hits[:alternatives]), explanation, turn=turn)
        top = hits[0]
        named = {fold(w.raw) for w in query.words} | {fold(w.base) for w in query.words}
        someone = _about_someone(query)
        span = None if someone else find_span(top.fact.text, query.kind, avoid=named)
        answer = Answer(top.fact, round(confidence, 4), span)
        turn = turn_of(query, answer, about_someone=someone)
        return Result(question, answer, tuple(hits[1 : alternatives + 1]), explanation, turn=turn)

    def _newest_first(self, distinct: list[Candidate]) -> list[Candidate]:
        """Of sentences in different articles that answer about equally well (the same
        question words found, a score within NEWER_WITHIN of the best), the newest
        article's comes first: today's figure replaces yesterday's ("omkring 130 gidsler"
        becomes "omkring 100"). A product rule, not a fitted weight: it only reorders
        near-ties, and SQuAD-da's undated articles never meet it."""
        if len(distinct) < 2:
            return distinct
        top = distinct[0]
        rivals = [
            c
            for c in distinct[1:NEWER_RIVALS]
            if c.article_id != top.article_id
            and c.matched == top.matched
            and c.score >= top.score * (1 - NEWER_WITHIN)
        ]
        if not rivals:
            return distinct
        dates = self.store.article_dates({top.article_id, *(c.article_id for c in rivals)})
        newest = max([top, *rivals], key=lambda c: dates.get(c.article_id, ""))
        if newest is top:
            return distinct
        return [newest, *(c for c in distinct if c is not newest)]

    def converse(self, message: str, previous: Turn | None = None) -> Result:
        """The reply to a chat message: small talk, "mere", a follow-up or a question.

        `previous` is the conversation's last answered turn (None when there is none or it
        has expired). A question that stands on its own is answered as `ask` answers it.
        """
        problem = _problem(message)
        if problem:
            return Result(message, None, problem=problem)
        intent = phrasebook().intent(message)
        if intent is not None:
            passage = None
            if intent.name == MORE and previous is not None and previous.fact_id is not None:
                passage = self.passage(previous.fact_id)
            return Result(message, None, intent=intent, passage=passage)
        lean = follow_up(message, previous) if previous is not None else None
        if lean is None:
            return self.ask(message)
        assert previous is not None
        alone = None if lean.sure else self.ask(message)
        if alone is not None and alone.answer is not None:
            return alone
        # Where the previous answer stood: its own words, then with the context's; then
        # everywhere with the context's words, but only for a question that cannot stand
        # alone (elsewhere the context's words would bend it).
        tries = [(lean.own, previous.article_id)] if lean.own else []
        tries.append((lean.question, previous.article_id))
        if alone is None:
            tries.append((lean.question, None))
        there = None
        for question, within in tries:
            result = self.ask(question, within=within, exclude=lean.exclude)
            if result.answer is not None:
                return self._leaned(result, message, lean, previous)
            if question == lean.question and within is not None:
                there = result
        if lean.besides and there is not None and there.alternatives:
            # "hvad ellers?": the best other sentence on the subject where the last answer
            # stood, however sure (the user asked for more of the same, not for an answer).
            best = there.alternatives[0]
            answer = Answer(best.fact, best.score)
            result = replace(there, answer=answer, alternatives=there.alternatives[1:])
            return self._leaned(result, message, lean, previous)
        if alone is not None or result.problem is not None:
            return alone or self.ask(message)
        return replace(result, question=message, about=lean.about)

    @staticmethod
    def _leaned(result: Result, message: str, lean: FollowUp, previous: Turn) -> Result:
        """A follow-up's answer, as asked and saying what the context lent. After "ellers"
        the conversation stays on its subject, and remembers what it was given."""
        turn = result.turn
        if lean.besides and result.answer is not None:
            fact = result.answer.fact
            turn = replace(
                previous, fact_id=fact.id, article_id=fact.article.id, shown=lean.exclude
            )
        return replace(result, question=message, about=lean.about, turn=turn)

    def passage(self, fact_id: int) -> Passage | None:
        """A sentence among its neighbours (its paragraph, or the sentences either side
        when it stands alone), or None when it is gone."""
        facts = self.store.neighbours(fact_id)
        return Passage(tuple(facts), fact_id) if facts else None

    def decide_on(self, query: Query, distinct: list[Candidate]) -> dict[str, float]:
        """The decision's features for the best of these candidates (one per text)."""
        view = self.view  # each reading of `self.view` asks the store whether it changed
        idfs = question_idfs(query, view)
        size = min(view.n_facts, self._decision_params(distinct).max_facts)
        question = question_facts(query, n_facts=size)
        if not distinct:
            return decision_features(question, {}, top_score=0.0, runner_score=None)
        top = distinct[0]
        runner = distinct[1] if len(distinct) > 1 else None
        return decision_features(
            question,
            {**top.features, **holds(query, idfs, top)},
            top_score=top.score,
            runner_score=runner.score if runner else None,
            runner_cosine=runner.features.get("cosine") if runner else None,
        )

    def search(self, question: str, *, limit: int = 10) -> list[Hit]:
        """The best-matching facts, answer or not (inline mode lists these); none for small
        talk, which is never looked for in the articles."""
        if _problem(question) or phrasebook().intent(question) is not None:
            return []
        _, ranked = self.analyse(question)
        distinct = _distinct(ranked)[:limit]
        facts = self.store.facts(c.fact_id for c in distinct)
        return [Hit(facts[c.fact_id], round(c.score, 4)) for c in distinct if c.fact_id in facts]

    # -- articles ------------------------------------------------------------

    def articles(self) -> list[Article]:
        return self.store.articles()

    def fact(self, fact_id: int) -> Fact | None:
        return self.store.facts([fact_id]).get(fact_id)

    def ingest(self, items: Iterable[ArticleInput]) -> Iterator[IngestResult]:
        yield from self.store.add_many(items)

    def remove(self, article_id: int) -> Article:
        return self.store.remove(article_id)

    def optimize(self) -> int:
        """Merge the search index after a large import; how many segments it had."""
        return self.store.optimize_index()


def _stamps(paths: tuple[Path, ...]) -> tuple[tuple[int, int, int] | None, ...]:
    """What tells a changed file: modification time, size and inode (None when missing)."""
    out: list[tuple[int, int, int] | None] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
        else:
            out.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


def _content_version(store: Store) -> str | None:
    """The counter the schema's triggers move on every article change (None before v2)."""
    row = store.db.execute("SELECT value FROM meta WHERE key = 'content_version'").fetchone()
    return row[0] if row else None


def _problem(question: str) -> str | None:
    if len(question.strip()) > MAX_QUESTION:  # measured as the bot measures it
        return "too_long"
    if not clean_question(question):
        return "empty"
    return None


def _about_someone(query: Query) -> bool:
    """ "Hvem er Pat Ryder?" asks who a named person is: the answer is the whole sentence,
    not another name in it."""
    return query.kind == "person" and all(w.capital or not is_known(w.base) for w in query.words)


def _distinct(ranked: list[Candidate]) -> list[Candidate]:
    """One candidate per sentence text (news repeats itself across articles)."""
    seen: set[str] = set()
    out = []
    for cand in ranked:
        if cand.norm not in seen:
            seen.add(cand.norm)
            out.append(cand)
    return out


def _explain(
    query: Query, top: Candidate | None, confidence: float, threshold: float
) -> Explanation:
    matched = tuple(query.words[i].raw for i in sorted(top.matched)) if top else ()
    return Explanation(
        matched=matched,
        corrected=tuple((w.raw, w.corrected) for w in query.words if w.corrected),
        synonyms=tuple((w.raw, s) for w in query.words for s in w.synonyms),
        missing=tuple(w.raw for w in query.words if not w.present),
        answer_type=query.kind,
        confidence=round(confidence, 4),
        threshold=round(threshold, 4),
        meaning=round(top.features["cosine"], 4) if top and "cosine" in top.features else None,
    )
