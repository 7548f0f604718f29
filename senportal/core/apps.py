from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class CoreConfig(AppConfig):
    name = "senportal.core"
    label = "core"
    verbose_name = "SEN Portal core"


class SenAdminConfig(AdminConfig):
    """Django admin, open only to the admin role (see ``senportal.core.admin_site``)."""

    default_site = "senportal.core.admin_site.SenAdminSite"
