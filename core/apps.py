from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.core import checks
from django.urls import register_converter

from core.ids import IdConverter


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = "SEN Portal core"

    def ready(self) -> None:
        # ``<id:pk>`` in every app's URLs: one reading of an id in a path (core.ids).
        register_converter(IdConverter, "id")
        # Signal receivers: sign-in success and failure written to the access log; sign-in times
        # and MFA state (issue 14).
        from core import mfa, session, signin  # noqa: F401, PLC0415

        # Documents: production requires a virus scanner (docs/decisions/0008-documents.md).
        from core.documents import check_scanner_for_production

        checks.register(check_scanner_for_production, checks.Tags.security, deploy=True)

        # The admin role's model permissions, again after every migrate and flush.
        from django.db.models.signals import post_migrate

        from core.admin_permissions import after_migrate

        post_migrate.connect(after_migrate, sender=self, dispatch_uid="core.admin_permissions")


class SenAdminConfig(AdminConfig):
    """Django admin, open only to the admin role (see ``core.admin_site``)."""

    default_site = "core.admin_site.SenAdminSite"
