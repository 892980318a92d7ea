"""The layers: knowledge/ is a library with no Telegram in it, and imports go from bot/
to knowledge/, never back; every import of our own code goes through `faktabot.`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported(path: Path) -> set[str]:
    """Every module a file imports, absolute (relative imports resolved in its package)."""
    package = "faktabot." + path.parent.name
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package if node.level else ""
            module = ".".join(filter(None, (base, node.module)))
            names |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return names


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.py"))


@pytest.mark.parametrize("path", modules("knowledge"), ids=lambda p: p.name)
def test_the_library_knows_nothing_of_telegram_or_the_bot(path: Path) -> None:
    bad = {n for n in imported(path) if n.split(".")[0] == "telegram" or "faktabot.bot" in n}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("knowledge") + modules("bot"), ids=lambda p: p.name)
def test_our_own_modules_are_imported_by_the_package_name(path: Path) -> None:
    bare = {n for n in imported(path) if n.split(".")[0] in {"knowledge", "bot"}}
    assert not bare, f"{path.name} imports {sorted(bare)}: use faktabot.knowledge / faktabot.bot"


def test_the_adapter_does_import_both_sides() -> None:
    # What the two tests above look for is found where it is meant to be.
    tops = {n.split(".")[0] for path in modules("bot") for n in imported(path)}
    used = {n for path in modules("bot") for n in imported(path)}
    assert "telegram" in tops
    assert "faktabot.knowledge.Knowledge" in used
    assert "faktabot.knowledge.schema.migrate" in imported(ROOT / "knowledge" / "store.py")
