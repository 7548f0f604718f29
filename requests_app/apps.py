from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "EHC needs-assessment requests"

    def ready(self) -> None:
        # Documents on requests and advice requests (core/documents.py).
        from requests_app.documents import register

        register()
