"""Sentence vectors kept up to date while the bot (or the console chat) runs.

With semantic matching on, a fact is ranked by meaning only once it has its vector, so
new facts must be embedded without making anyone wait: a `knowledge.vectors.Filler`
thread does it on its own connection to the database file, and an admin's upload wakes
it. An in-memory database cannot be seen from a second connection; there the missing
vectors are made at once, in the caller's thread (such a database holds the seed and
what was added in this process: a test's or a trial's worth, seconds at most).
"""

from __future__ import annotations

import logging

from faktabot.bot.asking import database_file
from faktabot.knowledge import Knowledge, Store
from faktabot.knowledge.vectors import Filler, fill

logger = logging.getLogger(__name__)

# The console chat embeds up to this many sentences before its first question (the seed
# article's few dozen take about a second), so that it answers by meaning at once.
CHAT_FIRST = 100


class VectorUpkeep:
    """Makes the missing vectors of `kb`'s facts: in the background, or at once in memory."""

    def __init__(self, kb: Knowledge) -> None:
        self.kb = kb
        self.filler: Filler | None = None

    def start(self, *, first: int = 0) -> None:
        """Embed up to `first` sentences now, then start the background filler.

        A no-op without an embedder (semantic matching off or not installed).
        """
        kb = self.kb
        if kb.vectors is None or kb.embedder is None:
            return
        if first:
            fill(kb.vectors, kb.embedder, limit=first)
        path = database_file(kb.store)
        if path is None:
            self.wake()
            return
        self.filler = Filler(lambda: Store.open(path, seed=False), kb.embedder)
        self.filler.start()
        # Vectors are made even before the parameters have semantic weights, so that
        # matching by meaning can start as soon as they have.
        logger.info(
            "Embedding new sentences in the background (%s); matching by meaning is %s",
            kb.embedder.name,
            "on" if kb.semantic else "off (the parameters have no semantic weights)",
        )

    def wake(self) -> None:
        """New facts were added: embed them soon (at once, for an in-memory database)."""
        if self.filler is not None:
            self.filler.wake()
        elif self.kb.vectors is not None and self.kb.embedder is not None:
            made = fill(self.kb.vectors, self.kb.embedder)
            if made:
                logger.info("Embedded %d sentences", made)

    def close(self) -> None:
        """Stop the background filler after the batch in hand (vectors made are kept)."""
        if self.filler is not None:
            self.filler.close()
            self.filler = None
