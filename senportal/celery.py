"""The Celery application. Tasks are thin: they take ids or dates and call a service."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "senportal.settings")

app = Celery("senportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
