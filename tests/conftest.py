"""Shared fixtures: an in-memory knowledge base, a file database, and the fake Bot API."""

from __future__ import annotations

import pytest

from knowledge import Knowledge, Store

pytest_plugins = ["telegram_fixtures"]


@pytest.fixture
def seed_kb() -> Knowledge:
    """The bundled seed article, in memory."""
    return Knowledge(Store.open(":memory:"))


@pytest.fixture
def empty_kb() -> Knowledge:
    return Knowledge(Store.open(":memory:", seed=False))


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "faktabot.db"
