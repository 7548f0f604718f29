from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.urls import register_converter

from core.ids import IdConverter


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = "SEN Portal core"

    def ready(self) -> None:
        # ``<id:pk>`` in every app's URLs: one reading of an id in a path (core.ids).
        register_converter(IdConverter, "id")
        # Sign-in success and failure written to the access log (signal receivers).
        # Signal receivers: sign-in times and MFA state (issue 14).
        from core import (  # noqa: F401, PLC0415
            mfa,
            session,
            signin,  # noqa: F401
        )


class SenAdminConfig(AdminConfig):
    """Django admin, open only to the admin role (see ``core.admin_site``)."""

    default_site = "core.admin_site.SenAdminSite"
