"""SEN Portal: the project package (settings, urls, Celery app, shared core)."""

from senportal.celery import app as celery_app

__all__ = ["celery_app"]
