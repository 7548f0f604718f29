from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from core.roles import Role, user_has_role


class SenAdminSite(admin.AdminSite):
    site_header = "SEN Portal administration"
    site_title = "SEN Portal admin"
    index_title = "Users, roles and reference data"

    def has_permission(self, request: HttpRequest) -> bool:
        from core import mfa  # noqa: PLC0415 (django-otp's models load after the admin app)

        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.is_superuser or user_has_role(user, Role.ADMIN))
            and mfa.session_satisfies_mfa(user)
        )

    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """No sign-in of its own: the admin uses the service's throttled sign-in and its
        security-code step (issue 14), then comes back."""
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': next_url})}")
