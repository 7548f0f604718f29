"""Pages for EHC needs-assessment requests."""

from django.urls import path

app_name = "requests"

urlpatterns: list = []
