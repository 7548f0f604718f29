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


def _fetch_static(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    path = urlparse(url).path
    static = str(settings.STATIC_URL or "/static/")
    if path.startswith(static):
        found = finders.find(path[len(static) :])
        if isinstance(found, str):
            with open(found, "rb") as handle:
                return {"string": handle.read(), "mime_type": mimetypes.guess_type(found)[0], "redirected_url": url}
    raise NotFetched(url)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: a heavy library only the PDF needs

    return bytes(HTML(string=html, base_url=BASE_URL, url_fetcher=_fetch_static).write_pdf())
