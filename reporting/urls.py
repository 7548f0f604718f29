"""The managers' dashboard pages (mounted at /dashboard/ by senportal/urls.py)."""

from django.urls import path

from reporting import views
from reporting.views import sen2

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.cases, name="cases"),
    path("report/", views.report, name="report"),
    # The SEN2 return (managers only)
    path("sen2/", sen2.sen2_list, name="sen2"),
    path("sen2/<id:pk>/", sen2.sen2_detail, name="sen2-detail"),
    path("sen2/<id:pk>/download/", sen2.sen2_download, name="sen2-download"),
    # Figures that stay true (issue 16): a recompute asked for from the page, and its progress.
    path("recompute/", views.recompute, name="recompute"),
    path("recompute/<int:pk>/", views.recompute_job, name="recompute-job"),
    path("report/commentary/", views.report_commentary, name="report-commentary"),
    # The committee report's case-list annex (identifiable; separate from the aggregate report).
    path("report/annex/", views.report_annex, name="report-annex"),
    # A saved version's PDF, drawn by the worker and kept (its progress, then its download).
    path("report/edition/<id:pk>/pdf/", views.report_pdf, name="report-pdf"),
    path("report/edition/<id:pk>/pdf/download/", views.report_pdf_download, name="report-pdf-download"),
]
