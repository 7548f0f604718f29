"""Fixtures for the core tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def documents_storage(settings, tmp_path):
    """Files under a temporary folder; no scanner; scanning not required (each test that needs
    otherwise says so)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    settings.CLAMAV_SOCKET = ""
    settings.CLAMAV_HOST = ""
    settings.DOCUMENTS_REQUIRE_SCAN = False
    return tmp_path / "documents"
