"""Routes for the metrics API (mounted under /api/metrics/ by senportal/urls.py)."""

from django.urls import path

from reporting import api

urlpatterns = [
    path("monthly/", api.MonthlyMetricsView.as_view(), name="metrics-monthly"),
    path("annual/", api.AnnualMetricsView.as_view(), name="metrics-annual"),
    path("backlog/", api.BacklogView.as_view(), name="metrics-backlog"),
]
