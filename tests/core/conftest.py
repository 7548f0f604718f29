"""Fixtures for the core tests (documents_storage is in tests/conftest.py, shared)."""
