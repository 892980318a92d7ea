"""Sentence vectors beside the facts, and the work of filling them in.

Each fact has at most one vector (int8, `embed.pack`), all made by the model that
meta's `vector_model` names. Opening the vectors with another model deletes the old
ones: two models' vectors never meet in one cosine. Facts without a vector are ranked
lexically until `fill` (the CLI's `faktabot embed`, or the bot's background `Filler`)
has reached them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .database import writing
from .embed import Embedder, pack, passage
from .store import Store

logger = logging.getLogger(__name__)

# Sentences a batch: one, so a question waiting for the model's lock waits for one
# sentence at most; larger batches embed a little faster and make questions asked
# meanwhile wait far longer.
FILL_BATCH = 1
IDLE_SECONDS = 5.0  # how long the background filler sleeps when nothing is missing


@dataclass(frozen=True)
class VectorCounts:
    have: int
    missing: int
    model: str | None


class Vectors:
    """The store's vectors for one model."""

    def __init__(self, store: Store, model: str) -> None:
        self.store = store
        self.model = model
        self._claim()

    def _claim(self) -> None:
        db = self.store.db
        before = _model_of(self.store)
        if before == self.model:
            return
        with writing(db):
            if before is not None:
                logger.info("Vectors of %s are made anew for %s", before, self.model)
            db.execute("DELETE FROM vectors")
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('vector_model', ?)", [self.model]
            )

    def get(self, ids: Iterable[int]) -> dict[int, bytes]:
        """The stored vectors of these facts (those that have one)."""
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.store.db.execute(
            f"SELECT fact_id, vector FROM vectors WHERE fact_id IN ({marks})", ids
        )
        return dict(rows.fetchall())

    def put(self, items: Iterable[tuple[int, bytes]]) -> int:
        """Store vectors of facts that still exist; how many were stored."""
        with writing(self.store.db):
            cursor = self.store.db.conn.executemany(
                "INSERT OR REPLACE INTO vectors (fact_id, vector)"
                " SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM facts WHERE id = ?1)",
                list(items),
            )
        return cursor.rowcount

    def missing(self, *, limit: int) -> list[tuple[int, str]]:
        """Facts without a vector, oldest first, each with the text to embed (`passage`)."""
        rows = self.store.db.execute(
            "SELECT f.id, a.title, f.text FROM facts f JOIN articles a ON a.id = f.article_id"
            " LEFT JOIN vectors v ON v.fact_id = f.id"
            " WHERE v.fact_id IS NULL ORDER BY f.id LIMIT ?",
            [limit],
        ).fetchall()
        return [(fid, passage(title, text)) for fid, title, text in rows]

    def counts(self) -> VectorCounts:
        return stored_counts(self.store)

    def clear(self) -> None:
        with writing(self.store.db):
            self.store.db.execute("DELETE FROM vectors")


def stored_counts(store: Store) -> VectorCounts:
    """How many facts have a vector and how many lack one, and whose vectors they are
    (readable without an embedder: /healthz shows it when semantic matching is off)."""
    have = store.db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    facts = store.db.execute("SELECT count(*) FROM facts").fetchone()[0]
    return VectorCounts(have, max(facts - have, 0), _model_of(store))


def _model_of(store: Store) -> str | None:
    """The model that made the stored vectors (meta's `vector_model`)."""
    row = store.db.execute("SELECT value FROM meta WHERE key = 'vector_model'").fetchone()
    return row[0] if row else None


def fill(
    vectors: Vectors,
    embedder: Embedder,
    *,
    batch: int = FILL_BATCH,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Embed facts that lack a vector, a batch at a time; how many were embedded."""
    done = 0
    while limit is None or done < limit:
        if stop is not None and stop.is_set():
            break
        want = batch if limit is None else min(batch, limit - done)
        rows = vectors.missing(limit=want)
        if not rows:
            break
        matrix = embedder.passages([text for _, text in rows])
        vectors.put((fid, pack(v)) for (fid, _), v in zip(rows, matrix, strict=True))
        done += len(rows)
        if progress is not None:
            progress(len(rows))
    return done


class Filler(threading.Thread):
    """Embeds new facts in the background, on its own database connection.

    Answering and ingest never wait for it (but for the model's lock during one small
    batch). It sleeps while nothing is missing; `wake()` after an ingest starts it at
    once, `close()` stops it after the batch in hand.
    """

    def __init__(
        self, open_store: Callable[[], Store], embedder: Embedder, *, idle: float = IDLE_SECONDS
    ) -> None:
        super().__init__(name="faktabot-embed", daemon=True)
        self.open_store = open_store
        self.embedder = embedder
        self.idle = idle
        self.embedded = 0
        self._stop_event = threading.Event()
        self._wake_event = threading.Event()

    def wake(self) -> None:
        self._wake_event.set()

    def close(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self._wake_event.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        store = self.open_store()
        try:
            vectors = Vectors(store, self.embedder.name)
            while not self._stop_event.is_set():
                try:
                    got = fill(vectors, self.embedder, stop=self._stop_event)
                except Exception:  # a locked or damaged database: try again later
                    logger.exception("Background embedding failed; retrying later")
                    got = 0
                self.embedded += got
                if got:
                    logger.info("Embedded %d sentences", got)
                self._wake_event.wait(self.idle)
                self._wake_event.clear()
        finally:
            store.db.conn.close()
