"""WSGI entry point (gunicorn senportal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "senportal.settings")

application = get_wsgi_application()
