"""The committee report as a PDF, drawn by WeasyPrint from the print view's HTML.

WeasyPrint runs no JavaScript, which is why the report's charts are SVG drawn on the server
(``reporting.svg``). It fetches only the site's own static files (the stylesheets), read from
disk through the static-files finders: the renderer never makes a network request.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders

BASE_URL = "https://report.invalid/"


class NotFetched(ValueError):
    """Anything but a static file of this site is not fetched."""


def static_file(url: str) -> tuple[bytes, str] | None:
    """The bytes and type of one of this site's static files named by ``url``, or None."""
    path = urlparse(url).path
    static = str(settings.STATIC_URL or "/static/")
    if not path.startswith(static):
        return None
    found = finders.find(path[len(static) :])
    if not isinstance(found, str):
        return None
    with open(found, "rb") as handle:
        return handle.read(), mimetypes.guess_type(found)[0] or "application/octet-stream"


def html_document(html: str) -> Any:
    """WeasyPrint's document for ``html``, fetching only this site's static files."""
    # Imported here: a heavy library only the PDF needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            found = static_file(url)
            if found is None:
                raise NotFetched(url)
            body, content_type = found
            return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnly())


def html_to_pdf(html: str) -> bytes:
    return bytes(html_document(html).write_pdf())
