from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The roof's demo-data loader: composes each app's synthetic data (``seed_demo``)."""

    name = "demo"
    label = "demo"
    verbose_name = "Demo data"
