"""The managers' dashboard pages (mounted at /dashboard/ by senportal/urls.py)."""

from django.urls import path

from reporting import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.cases, name="cases"),
    path("report/", views.report, name="report"),
    # Figures that stay true (issue 16): a recompute asked for from the page, and its progress.
    path("recompute/", views.recompute, name="recompute"),
    path("recompute/<int:pk>/", views.recompute_job, name="recompute-job"),
    path("report/commentary/", views.report_commentary, name="report-commentary"),
]
