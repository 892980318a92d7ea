"""Checks of a store's inner consistency, shared by the store and the ingest tests."""

from __future__ import annotations

from faktabot.knowledge import Store


def assert_index_consistent(store: Store) -> None:
    """FTS5's strict check, which raises on any difference between the index and `facts`.

    With rank 1 it compares the index with the rows it indexes; the plain check reads an
    external-content index alone, so a fact indexed twice or not at all would pass it.
    """
    store.db.execute("INSERT INTO facts_fts(facts_fts, rank) VALUES ('integrity-check', 1)")
