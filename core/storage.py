"""Static files storage for production: hashed names, compressed, ES module imports rewritten."""

from __future__ import annotations

from collections.abc import Callable
from re import Match
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # static/app/init.js imports ../govuk/govuk-frontend.min.js; rewrite that import to the
    # hashed name so a new GOV.UK Frontend build is never served from a stale cache.
    support_js_module_import_aggregation = True

    def url_converter(self, name: str, hashed_files: Any, template: str | None = None) -> Callable[[Match[str]], str]:
        convert = super().url_converter(name, hashed_files, template)
        if name.startswith("app/"):
            return convert  # our own modules: a broken import must fail the build

        def lenient(matchobj: Match[str]) -> str:
            try:
                return convert(matchobj)
            except ValueError:
                # Third-party files mention imports in comments (django-htmx's JSDoc has
                # import("../htmx")); leave text that is not a real module reference alone.
                return matchobj.group(0)

        return lenient
