from django.contrib import admin
from django.http import HttpRequest

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
