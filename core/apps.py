from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = "SEN Portal core"


class SenAdminConfig(AdminConfig):
    """Django admin, open only to the admin role (see ``core.admin_site``)."""

    default_site = "core.admin_site.SenAdminSite"
