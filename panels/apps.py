from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "panels"
    verbose_name = "Central placement panel"

    def ready(self) -> None:
        # Documents on this app's records (core/documents.py).
        from panels.documents import register

        register()
