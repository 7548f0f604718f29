"""Routes for the metrics API (mounted under /api/metrics/ by senportal/urls.py)."""

from django.urls import path

from reporting import api, report_pdf_api
from reporting.sen2 import api as sen2_api

urlpatterns = [
    path("monthly/", api.MonthlyMetricsView.as_view(), name="metrics-monthly"),
    path("annual/", api.AnnualMetricsView.as_view(), name="metrics-annual"),
    path("backlog/", api.BacklogView.as_view(), name="metrics-backlog"),
    # The SEN2 return (managers only)
    path("sen2/", sen2_api.Sen2ReturnListView.as_view(), name="sen2-returns"),
    path("sen2/<id:pk>/", sen2_api.Sen2ReturnDetailView.as_view(), name="sen2-return"),
    path("sen2/<id:pk>/file/", sen2_api.Sen2ReturnFileView.as_view(), name="sen2-return-file"),
    # The committee report's PDF of a saved version (managers only), drawn by the worker and kept
    path("report-editions/<id:pk>/pdf/", report_pdf_api.ReportEditionPdfView.as_view(), name="report-edition-pdf"),
    path(
        "report-editions/<id:pk>/pdf/file/",
        report_pdf_api.ReportEditionPdfFileView.as_view(),
        name="report-edition-pdf-file",
    ),
]
