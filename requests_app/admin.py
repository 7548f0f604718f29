"""Admin for requests: for looking things up. Changes of state go through the services (the
pages and the API); so requests, decisions and events are read-only here, and nothing can be
deleted (the records are evidence)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from requests_app.models import (
    AdviceRequest,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    ProvisionEvaluation,
    RequestEvent,
    RetentionItem,
    RetentionRun,
    RetentionRunStatus,
    SubjectAccessRequest,
)
from requests_app.services.children import child_change_district


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    fields = ["occurred_at", "action", "from_status", "to_status", "actor", "payload", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    # Children's details are corrected here by an administrator (a typo in a name); the
    # requests they hold are not.
    list_display = ["pk", "initials", "date_of_birth", "district", "primary_need", "legacy_ref"]
    list_filter = ["district", "primary_need", "legal_hold"]
    search_fields = ["surname", "upn", "legacy_ref"]
    raw_id_fields = ["current_establishment"]
    readonly_fields = ["anonymised_at"]  # set only by the retention schedule

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # A change of district moves the child's requests with them and writes their timeline
        # entries: only the service does that (docs/decisions/0007-district-on-request.md).
        if change and "district" in form.changed_data:
            new_district = obj.district_id
            obj.district_id = form.initial["district"]
            super().save_model(request, obj, form, change)
            child_change_district(actor=request.user, child=obj.pk, district=new_district)
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AssessmentRequest)
class AssessmentRequestAdmin(ReadOnlyAdmin):
    list_display = ["reference", "child", "received_on", "status", "next_deadline_on", "assigned_officer"]
    list_filter = ["status", "source", "request_outcome", "assessment_outcome", "week20", "imported"]
    search_fields = ["reference", "child__surname", "child__upn"]
    date_hierarchy = "received_on"
    list_select_related = ["child", "assigned_officer"]
    inlines = [RequestEventInline]


@admin.register(ProvisionEvaluation)
class ProvisionEvaluationAdmin(ReadOnlyAdmin):
    list_display = ["request", "recommendation", "completed_on"]


@admin.register(AssessmentDecision)
class AssessmentDecisionAdmin(ReadOnlyAdmin):
    list_display = ["request", "stage", "outcome", "notified_on", "superseded"]
    list_filter = ["stage", "outcome", "superseded"]


@admin.register(AdviceRequest)
class AdviceRequestAdmin(ReadOnlyAdmin):
    list_display = ["request", "adviser_type", "requested_on", "due_on", "target_on", "received_on"]
    list_filter = ["adviser_type"]


@admin.register(ClockException)
class ClockExceptionAdmin(ReadOnlyAdmin):
    list_display = ["request", "kind", "start", "end", "removed_at"]
    list_filter = ["kind"]


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdmin):
    """Append-only: the audit trail is never edited."""

    list_display = ["occurred_at", "request", "action", "from_status", "to_status", "actor"]
    list_filter = ["action"]
    search_fields = ["request__reference"]
    list_select_related = ["request", "actor"]


# --- Data protection (issue 14) ---------------------------------------------------------------------


@admin.register(SubjectAccessRequest)
class SubjectAccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "child_id", "received_on", "due_on", "status", "requested_by"]
    list_filter = ["status"]


class RetentionItemInline(admin.TabularInline):
    model = RetentionItem
    fields = ["child", "record_class", "due_on", "action", "held", "done_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.action(description="Approve and apply the selected retention lists")
def approve_runs(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    from requests_app.services.retention import retention_approve

    for run in queryset.filter(status=RetentionRunStatus.AWAITING_APPROVAL):
        retention_approve(actor=request.user, run=run)  # type: ignore[arg-type]


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ["as_of", "status", "approved_by", "approved_at", "access_log_due", "access_log_erased"]
    list_filter = ["status"]
    inlines = [RetentionItemInline]
    actions = [approve_runs]
