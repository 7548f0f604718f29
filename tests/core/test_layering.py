"""Dependencies point one way (design.md §2): core ← requests_app ← panels ← placements ← roof.

A module may import only from its own layer or below. Checked on the source with ast, so an
import hidden inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package prefix -> the first-party packages it may import
ALLOWED: dict[str, set[str]] = {
    "senportal/core": {"senportal.core"},
    "requests_app": {"senportal.core", "requests_app"},
    "panels": {"senportal.core", "requests_app", "panels"},
    "placements": {"senportal.core", "requests_app", "panels", "placements"},
}
FIRST_PARTY = ("senportal", "requests_app", "panels", "placements")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n for n in names if n.split(".")[0] in FIRST_PARTY}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_downwards(layer):
    allowed = ALLOWED[layer]
    offenders = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in _imports(path):
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []
