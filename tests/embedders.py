"""A small deterministic embedder for tests of what stores, fills and fuses vectors.

It implements `knowledge.embed.Embedder` by hashing each word into one of `DIM` buckets:
texts that share words lie close, others apart. It is no model of meaning; the tests
that need one use the real model (marked `semantic`). Module level, and made without
arguments, so that a worker process can make its own (`bot.asking.Recipe`).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from faktabot.knowledge.params import Params, SemanticParams

DIM = 64
WORD = re.compile(r"\w+")


class HashEmbedder:
    """Words hashed into buckets, as unit vectors; counts the sentences it embeds."""

    name = f"test-hash-words-{DIM}"
    dim = DIM

    def __init__(self) -> None:
        self.passages_embedded = 0

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                out[row, zlib.crc32(word.encode()) % DIM] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_embedded += len(texts)
        return self._embed(texts)


def semantic_params(model: str = HashEmbedder.name) -> Params:
    """The bundled parameters with a semantic mode: the lexical decision plus cosines.

    The bundled file may not have one yet (and its weights are fitted for the real model).
    """
    params = Params.bundled()
    weights = {**params.decision.weights, "cosine": 1.0, "cosine_margin": 1.0}
    decision = replace(params.decision, weights=weights)
    semantic = SemanticParams(model=model, rerank=20, cosine=8.0, decision=decision)
    out = replace(params, semantic=semantic)
    out.validate()
    return out


def lexical_params() -> Params:
    """The bundled parameters without a semantic mode, whatever the file holds."""
    return replace(Params.bundled(), semantic=None)
