from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = "Independent placements"

    def ready(self) -> None:
        # Documents on this app's records (core/documents.py).
        from placements.documents import register

        register()
