from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = "Independent placements"

    def ready(self) -> None:
        # Documents on this app's records (core/documents.py).
        from panels.selectors import register_benchmark_source
        from placements.documents import register
        from placements.reports import referral_line_benchmarks

        register()
        # A referral's costs are benchmarked against agreed contract costs (panels/selectors.py).
        register_benchmark_source(referral_line_benchmarks)
