"""The managers' dashboard pages (mounted at /dashboard/ by senportal/urls.py)."""

from django.urls import path

from reporting import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.cases, name="cases"),
    path("report/", views.report, name="report"),
]
