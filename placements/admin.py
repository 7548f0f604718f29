"""Read-only admin for placements: every change goes through ``placements.services`` (the admin
would skip the ceiling check, the row lock and the event), so the admin is for looking only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementEvent,
    Provider,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CostLineInline(admin.TabularInline):
    model = CostLine
    extra = 0
    can_delete = False
    fields = ("category", "description", "quoted_amount_pence", "agreed_amount_pence", "period", "periods_per_year")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    list_display = ("establishment", "procurement_route", "framework_lot", "contact_name")
    list_filter = ("procurement_route",)
    search_fields = ("establishment__name", "framework_lot")
    list_select_related = ("establishment",)


@admin.register(PlacementContract)
class PlacementContractAdmin(ReadOnlyAdmin):
    # The child appears by id only (str() shows initials): admin pages are not access-logged.
    list_display = (
        "reference",
        "provider",
        "status",
        "start_on",
        "end_on",
        "quoted_annual_cost_pence",
        "agreed_annual_cost_pence",
    )
    list_filter = ("status",)
    search_fields = ("reference",)
    list_select_related = ("provider__establishment",)
    raw_id_fields = ("child", "panel_decision")
    inlines = [CostLineInline]


@admin.register(NegotiationRound)
class NegotiationRoundAdmin(ReadOnlyAdmin):
    list_display = ("contract", "round_no", "on", "provider_offer_pence", "council_counter_offer_pence", "version")


@admin.register(PenaltyClause)
class PenaltyClauseAdmin(ReadOnlyAdmin):
    list_display = ("contract", "threshold_percent", "rule", "deduction_percent", "per_session_pence")


@admin.register(AttendanceReturn)
class AttendanceReturnAdmin(ReadOnlyAdmin):
    list_display = ("contract", "period_kind", "period_start", "period_end", "sessions_possible", "version")
    list_filter = ("period_kind",)


@admin.register(Deduction)
class DeductionAdmin(ReadOnlyAdmin):
    list_display = ("attendance_return", "amount_pence", "status", "decided_at")
    list_filter = ("status",)


@admin.register(PlacementEvent)
class PlacementEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "action", "contract", "provider", "from_status", "to_status")
    list_filter = ("action",)
