"""Admin for the panel: members are managed here (reference data); everything else is for
looking things up. Changes of state go through ``panels.services``, so referrals, meetings,
decisions, minutes and events are read-only here and nothing can be deleted (the records are
evidence)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from panels.models import (
    AgendaItem,
    Attendance,
    Declaration,
    PanelDecision,
    PanelEvent,
    PanelMeeting,
    PanelMember,
    PanelMinutes,
    Referral,
    ReferralCostLine,
    ReferralOption,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PanelMember)
class PanelMemberAdmin(admin.ModelAdmin):
    # Members are reference data an administrator keeps; deactivate rather than delete, as
    # decisions point at them.
    list_display = ["pk", "user", "member_type", "establishment", "active"]
    list_filter = ["member_type", "active"]
    search_fields = ["user__username", "user__last_name"]
    raw_id_fields = ["user", "establishment"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReferralOptionInline(ReadOnlyInline):
    model = ReferralOption
    fields = ["establishment", "meets_need", "reason", "annual_cost_pence"]
    readonly_fields = fields


class ReferralCostLineInline(ReadOnlyInline):
    model = ReferralCostLine
    fields = ["category", "annual_amount_pence", "description"]
    readonly_fields = fields


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    # No child names in the list: the referral and request ids are enough to look one up.
    list_display = ["pk", "request", "kind", "status", "referred_on"]
    list_filter = ["kind", "status"]
    inlines = [ReferralOptionInline, ReferralCostLineInline]


class AgendaItemInline(ReadOnlyInline):
    model = AgendaItem
    fk_name = "meeting"
    fields = ["position", "referral", "status", "withdrawn_reason", "deferred_to"]
    readonly_fields = fields


class AttendanceInline(ReadOnlyInline):
    model = Attendance
    fields = ["member", "present"]
    readonly_fields = fields


@admin.register(PanelMeeting)
class PanelMeetingAdmin(ReadOnlyAdmin):
    list_display = ["pk", "held_on", "starts_at", "location", "status", "chair"]
    list_filter = ["status"]
    date_hierarchy = "held_on"
    inlines = [AgendaItemInline, AttendanceInline]


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "item", "member", "nature", "recused", "automatic"]
    list_filter = ["nature", "recused", "automatic"]


@admin.register(PanelDecision)
class PanelDecisionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "item", "outcome", "agreed_annual_ceiling_pence", "recorded_at"]
    list_filter = ["outcome"]


@admin.register(PanelMinutes)
class PanelMinutesAdmin(ReadOnlyAdmin):
    list_display = ["pk", "meeting", "status", "approved_at"]
    list_filter = ["status"]


@admin.register(PanelEvent)
class PanelEventAdmin(ReadOnlyAdmin):
    list_display = ["pk", "action", "meeting", "referral", "actor", "occurred_at"]
    list_filter = ["action"]
