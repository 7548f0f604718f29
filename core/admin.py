from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from core import security_events, sudo
from core.models import AccessLog, Council, District, Establishment, SignInThrottle, StaffProfile


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    """The council's name and LA number: one row (``manage.py set_council`` does the same)."""

    list_display = ["name", "la_number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not Council.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["name", "urn", "type_group", "phase", "district", "status", "la_code"]
    list_filter = ["type_group", "phase", "district", "status"]
    search_fields = ["name", "urn", "ukprn", "postcode"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "job_title"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the access log is evidence and is never edited."""

    list_display = ["at", "user", "action", "object_type", "object_id", "child_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["child_id", "user__username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    """Sign-in counters: an administrator unlocks an account or address by deleting its row."""

    list_display = ["key", "attempts", "window_started_at"]
    search_fields = ["key"]
    readonly_fields = ["key", "attempts", "window_started_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# --- Sudo mode for role and account changes (issue 14) ---------------------------------------
# Roles are groups: changing a person's groups, their account or password, or a group's
# permissions needs a sign-in within the last 15 minutes (core.sudo). A stale session's POST
# goes to "confirm it is you" and back to the form; nothing is saved until then.


class _SudoForChanges:
    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            refused = sudo.require_sudo(request)
            if refused is not None:
                return refused
        # The change itself is in Django's admin log (LogEntry), as before.
        response: HttpResponse = super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        return response


admin.site.unregister(User)
admin.site.unregister(Group)


# Superuser and staff status (and permissions given to a person directly) are the keys to the
# whole admin: only a superuser may change them, under sudo mode like every change here, and
# each change is a security event (``privilege_*``). For anyone else the boxes are read-only,
# and a change smuggled into the POST is refused and logged.
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "user_permissions")


@admin.register(User)
class SudoUserAdmin(_SudoForChanges, UserAdmin):  # type: ignore[type-arg]
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if getattr(request.user, "is_superuser", False):
            return readonly
        return readonly + PRIVILEGE_FIELDS

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = User.objects.filter(pk=obj.pk).values("is_superuser", "is_staff").first() if obj.pk else None
        before = before or {"is_superuser": False, "is_staff": False}
        changed = [name for name in ("is_superuser", "is_staff") if bool(getattr(obj, name)) != before[name]]
        if changed and not getattr(request.user, "is_superuser", False):
            security_events.record("privilege_change_refused", user=request.user, request=request, subject=obj)
            raise PermissionDenied("Only a superuser may grant or remove superuser or staff status.")
        super().save_model(request, obj, form, change)
        for name in changed:
            kind = "superuser" if name == "is_superuser" else "staff"
            event = f"privilege_{kind}_{'granted' if getattr(obj, name) else 'revoked'}"
            security_events.record(event, user=request.user, request=request, subject=obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if request.method == "POST":
            refused = sudo.require_sudo(request)
            if refused is not None:
                return refused
        return super().user_change_password(request, id, form_url)


@admin.register(Group)
class SudoGroupAdmin(_SudoForChanges, GroupAdmin):
    pass
