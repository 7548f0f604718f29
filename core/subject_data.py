"""Subject data sections: everything the service holds about one child, gathered app by app.

A subject access request (UK GDPR Art. 15) and the retention schedule both need "everything
about child X", and the apps that hold it sit above core. So each app declares its *sections*:
a function ``(child_id) -> list[Section]`` named by dotted path in
``settings.SUBJECT_DATA_SECTIONS`` (at the roof, like ``HOME_SUMMARIES``: core imports no app).
A new app holding child data (contacts, letters, documents, notes) adds one path there; the
meta-test in ``tests/core/test_subject_data.py`` fails while a model with a foreign key to a
child's record is in no section.

A section is a title, its rows (plain JSON-safe dicts, one per database row) and, optionally,
files (documents, letters) as ``(name, bytes)``. ``build_archive`` turns the sections into the
ZIP given to the family: a readable ``index.html``, ``manifest.json``, one JSON file per section
and the files.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import html
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.module_loading import import_string

__all__ = ["Archive", "Section", "all_sections", "build_archive", "covered_models", "json_safe", "rows"]


@dataclass(frozen=True)
class Section:
    key: str  # file name inside the ZIP: letters, digits and underscores
    title: str
    rows: list[dict[str, Any]]
    models: tuple[str, ...] = ()  # "app_label.ModelName" the rows come from (for the meta-test)
    files: list[tuple[str, bytes]] = field(default_factory=list)


SectionsFor = Callable[[int], list[Section]]


def _providers() -> list[SectionsFor]:
    return [import_string(path) for path in getattr(settings, "SUBJECT_DATA_SECTIONS", [])]


def all_sections(child_id: int) -> list[Section]:
    """Every registered section for the child, in the order of ``SUBJECT_DATA_SECTIONS``."""
    return [section for provider in _providers() for section in provider(child_id)]


def covered_models() -> set[str]:
    """Model labels some section declares (its provider is called for a child that does not
    exist, so it returns empty sections with their ``models``)."""
    return {label for section in all_sections(0) for label in section.models}


def json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def rows(queryset: models.QuerySet[Any], *, omit: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Each row's own columns (foreign keys as ids), JSON-safe, in primary-key order."""
    model = queryset.model
    names = [f.attname for f in model._meta.concrete_fields if f.name not in set(omit) and f.attname not in set(omit)]
    return [{k: json_safe(v) for k, v in row.items()} for row in queryset.order_by("pk").values(*names)]


@dataclass(frozen=True)
class Archive:
    content: bytes
    manifest: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _index_html(child_label: str, generated_at: str, sections: list[Section]) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>Information held about {esc(child_label)}</title>",
        "<style>body{font-family:Arial,sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin-bottom:2em}th,td{border:1px solid #b1b4b6;padding:4px;"
        "text-align:left;vertical-align:top;font-size:0.9em}</style></head><body>",
        f"<h1>Information held about {esc(child_label)}</h1>",
        f"<p>Produced {esc(generated_at)} (UTC) in answer to a subject access request (UK GDPR Article 15). "
        "Each section below is also in the folder <code>sections/</code> as JSON; documents and letters are "
        "in <code>files/</code>. <code>manifest.json</code> lists every file with its SHA-256.</p>",
        "<h2>Contents</h2><ul>",
    ]
    parts += [
        f'<li><a href="#{esc(s.key)}">{esc(s.title)}</a> ({len(s.rows)} record{"s" if len(s.rows) != 1 else ""}'
        f"{f', {len(s.files)} files' if s.files else ''})</li>"
        for s in sections
    ]
    parts.append("</ul>")
    for section in sections:
        parts.append(f'<h2 id="{esc(section.key)}">{esc(section.title)}</h2>')
        if not section.rows:
            parts.append("<p>Nothing held.</p>")
            continue
        columns = list(dict.fromkeys(k for row in section.rows for k in row))
        parts.append(
            "<table><thead><tr>" + "".join(f'<th scope="col">{esc(c)}</th>' for c in columns) + "</tr></thead><tbody>"
        )
        for row in section.rows:
            cells = "".join(f"<td>{esc(_cell(row.get(c)))}</td>" for c in columns)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
        if section.files:
            parts.append(
                "<ul>" + "".join(f"<li>files/{esc(section.key)}/{esc(n)}</li>" for n, _ in section.files) + "</ul>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(". ")
    return cleaned[:120] or "file"


def build_archive(
    child_id: int, *, child_label: str, produced_by: str, sections: list[Section] | None = None
) -> Archive:
    """The ZIP for one child: ``index.html``, ``manifest.json``, ``sections/<key>.json`` and
    ``files/<key>/<name>``. Deterministic apart from the generation time."""
    sections = all_sections(child_id) if sections is None else sections
    generated_at = timezone.now().replace(microsecond=0).isoformat()
    entries: list[tuple[str, bytes]] = []
    for section in sections:
        body = {"key": section.key, "title": section.title, "count": len(section.rows), "rows": section.rows}
        entries.append((f"sections/{section.key}.json", json.dumps(body, indent=2, ensure_ascii=False).encode()))
        entries += [(f"files/{section.key}/{_safe_name(name)}", data) for name, data in section.files]
    entries.insert(0, ("index.html", _index_html(child_label, generated_at, sections).encode()))
    manifest = {
        "child_id": child_id,
        "generated_at": generated_at,
        "produced_by": produced_by,
        "sections": [{"key": s.key, "title": s.title, "records": len(s.rows), "files": len(s.files)} for s in sections],
        "files": [
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in entries
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return Archive(content=buffer.getvalue(), manifest=manifest)
