from django.contrib import admin
from django.http import HttpRequest

from core.roles import Role, user_has_role


class SenAdminSite(admin.AdminSite):
    site_header = "SEN Portal administration"
    site_title = "SEN Portal admin"
    index_title = "Users, roles and reference data"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and (user.is_superuser or user_has_role(user, Role.ADMIN)))
