"""Links from a lower layer to a page of a higher one, named at the roof.

A request page offers "Refer to the placement panel" and a panel decision offers "Draft the
placement contract", but ``requests_app`` may not know the panel's URLs and ``panels`` may not
know the placements' (docs/decisions/0004-layering.md). The roof's settings map a stable key to
the URL name (``settings.CROSS_LAYER_LINKS``); a key with no entry, or whose URL is not
installed, gives no link.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse


def cross_layer_url(key: str, **query: object) -> str | None:
    """The URL the roof names for ``key`` with ``query`` as its query string, or None."""
    url_name = getattr(settings, "CROSS_LAYER_LINKS", {}).get(key)
    if not url_name:
        return None
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(query)}" if query else url
