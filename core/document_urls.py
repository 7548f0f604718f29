"""Document pages (core/document_views.py), included at /documents/ by the roof."""

from django.urls import path

from core import document_views as views

app_name = "documents"

urlpatterns = [
    path("<id:pk>/download/", views.document_download, name="download"),
    path("<slug:kind>/<id:owner_pk>/", views.owner_documents, name="owner"),
    path("<slug:kind>/<id:owner_pk>/upload/", views.document_upload_page, name="upload"),
]
