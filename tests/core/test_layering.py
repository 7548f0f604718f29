"""Dependencies point one way (design.md §2): core ← requests_app ← panels ← placements ← roof.

A module may import only from its own layer or below. Checked on the source with ast, so an
import hidden inside a function counts too. A template may ``{% load %}`` only the tag
libraries of its own layer or below: a library is Python the template runs, an import the ast
walk cannot see.
"""

from __future__ import annotations

import ast
import re
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


# --- Templates -----------------------------------------------------------------------------------

# templates/<folder> -> the layer its templates belong to; the roof's (dashboard) may load anything.
TEMPLATE_LAYERS: dict[str, str] = {
    "core": "senportal/core",
    "govuk": "senportal/core",
    "includes": "senportal/core",
    "registration": "senportal/core",
    "requests_app": "requests_app",
    "panels": "panels",
    "placements": "placements",
}
LOAD_TAG = re.compile(r"{%-?\s*load\s+(.+?)\s*-?%}")


def _loaded_libraries(source: str) -> set[str]:
    """The libraries a template loads: ``{% load a b %}``, or ``{% load f g from lib %}``."""
    names: set[str] = set()
    for match in LOAD_TAG.finditer(source):
        words = match.group(1).split()
        names.update(words[words.index("from") + 1 :] if "from" in words else words)
    return names


def _first_party_libraries() -> dict[str, str]:
    """Each first-party tag library's name -> its module, e.g. ``placements.templatetags.placements_tags``."""
    libraries: dict[str, str] = {}
    for package in ("senportal", *FIRST_PARTY[1:]):
        for path in (ROOT / package).rglob("templatetags/*.py"):
            if path.stem != "__init__":
                libraries[path.stem] = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return libraries


def _template_layer(path: Path) -> str | None:
    relative = path.relative_to(ROOT / "templates")
    if len(relative.parts) == 1:
        return "senportal/core"  # base.html and the other shared layouts
    return TEMPLATE_LAYERS.get(relative.parts[0])


def test_load_tags_are_parsed_in_both_forms():
    source = "{% load static %}{% load placements_tags other %}{%- load pounds from money_tags -%}"
    assert _loaded_libraries(source) == {"static", "placements_tags", "other", "money_tags"}


def test_templates_load_only_libraries_of_their_layer_or_below():
    libraries = _first_party_libraries()
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        layer = _template_layer(path)
        if layer is None:
            continue
        for name in _loaded_libraries(path.read_text(encoding="utf-8")):
            module = libraries.get(name)
            if module is not None and not any(module.startswith(a + ".") for a in ALLOWED[layer]):
                offenders.append(f"{path.relative_to(ROOT)} loads {name} ({module})")
    assert offenders == []
