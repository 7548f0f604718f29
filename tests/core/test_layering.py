"""Dependencies point one way (docs/architecture.md §2): core ← requests_app ← panels ← placements ← roof.

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

# Each layer -> the first-party packages it may import, bottom-up: core at the ground floor,
# the three business apps, reporting over them, the demo data over everything, and the roof
# (settings, URLs, Celery, WSGI) composing it all (docs/architecture.md).
LAYERS: tuple[str, ...] = ("core", "requests_app", "panels", "placements", "reporting", "demo", "senportal")
ALLOWED: dict[str, set[str]] = {layer: set(LAYERS[: i + 1]) for i, layer in enumerate(LAYERS)}
FIRST_PARTY = LAYERS

# URL namespace -> the layer that owns it (un-namespaced names such as "home" belong to the roof
# but are resolvable by every layer; "admin" is Django's).
URL_NAMESPACES: dict[str, str] = {
    "requests": "requests_app",
    "panels": "panels",
    "placements": "placements",
    "dashboard": "reporting",
}
# The roof's own files: nothing else may live in senportal/.
ROOF_FILES = {"__init__.py", "settings.py", "urls.py", "celery.py", "wsgi.py", "testenv.py"}


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
    "core": "core",
    "govuk": "core",
    "includes": "core",
    "registration": "core",
    "requests_app": "requests_app",
    "panels": "panels",
    "placements": "placements",
    "dashboard": "reporting",
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
    for package in FIRST_PARTY:
        for path in (ROOT / package).rglob("templatetags/*.py"):
            if path.stem != "__init__":
                libraries[path.stem] = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return libraries


def _template_layer(path: Path) -> str | None:
    relative = path.relative_to(ROOT / "templates")
    if len(relative.parts) == 1:
        return "core"  # base.html and the other shared layouts
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


# --- URL names -----------------------------------------------------------------------------------

URL_NAME_IN_PYTHON = re.compile(r"""["']([a-z_]+):[a-z0-9_-]+["']""")
URL_NAME_IN_TEMPLATE = re.compile(r"""{%-?\s*url\s+["']([a-z_]+):""")


def _namespace_offenders(layer: str, text: str, pattern: re.Pattern[str], where: str) -> list[str]:
    offenders = []
    for namespace in pattern.findall(text):
        owner = URL_NAMESPACES.get(namespace)
        if owner is not None and owner not in ALLOWED[layer]:
            offenders.append(f"{where} names a URL of {owner} ({namespace}:…)")
    return offenders


@pytest.mark.parametrize("layer", [layer for layer in LAYERS if layer != "senportal"])
def test_layer_names_urls_only_of_its_layer_or_below(layer):
    offenders = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        offenders += _namespace_offenders(
            layer, path.read_text(encoding="utf-8"), URL_NAME_IN_PYTHON, str(path.relative_to(ROOT))
        )
    assert offenders == []


def test_templates_name_urls_only_of_their_layer_or_below():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        layer = _template_layer(path)
        if layer is None:
            continue
        offenders += _namespace_offenders(
            layer, path.read_text(encoding="utf-8"), URL_NAME_IN_TEMPLATE, str(path.relative_to(ROOT))
        )
    assert offenders == []


def test_the_url_name_checks_see_an_upward_name():
    assert _namespace_offenders("requests_app", "reverse('panels:pack')", URL_NAME_IN_PYTHON, "x") != []
    assert _namespace_offenders("core", "{% url 'dashboard:home' %}", URL_NAME_IN_TEMPLATE, "x") != []
    assert _namespace_offenders("placements", "reverse('panels:pack')", URL_NAME_IN_PYTHON, "x") == []


def test_the_roof_holds_only_settings_urls_celery_and_wsgi():
    found = {p.name for p in (ROOT / "senportal").iterdir() if p.name != "__pycache__"}
    assert found <= ROOF_FILES, found - ROOF_FILES


def test_no_business_app_carries_demo_data():
    for app in ("core", "requests_app", "panels", "placements", "reporting"):
        assert not (ROOT / app / "demo.py").exists()
        assert not (ROOT / app / "history.py").exists()


def test_the_repository_points_at_nothing_outside_itself():
    import subprocess

    hits = subprocess.run(
        ["git", "grep", "-n", "-I", "-e", "../" + "shared", "--", ":!tests/core/test_layering.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    assert hits == ""
