"""Who viewed this child's record: the access log read by managers and the data protection
officer (issue 12 item 23), searchable by the child's name or a reference, with a CSV export.

The log is written by every read of a child's data (``core.access``); this page reads it back.
Opening a child's log and exporting it are themselves logged against the child: the page shows
the child's name, and the export takes the log out of the service.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from core.access import access_log_record
from core.api import CappedPaginator
from core.exports import export_gate, export_response
from core.models import AccessAction, AccessLog
from core.pages import pagination, requires
from core.roles import ROLE_LABELS, Capability, Role
from requests_app.models import AssessmentRequest, Child

PAGE_SIZE = 50
SEARCH_LIMIT = 50
EXPORT_LIMIT = 100_000  # rows in one CSV; a child's log is far smaller

OBJECT_LABELS: dict[str, str] = {
    "assessment_request": "Request",
    "assessment_decision": "Decision letter",
    "advice_request": "Advice request",
    "duplicate_candidate": "Possible duplicate shown",
    "panel_referral": "Panel referral",
    "panel_pack": "Panel papers",
    "panel_minutes": "Panel minutes",
    "panel_decision": "Panel decision",
    "placement_contract": "Placement contract",
    "access_log": "This access log",
}


def _search(text: str) -> QuerySet[Child]:
    """Children whose name has every word typed, or whose UPN, former reference or request
    reference contains the text."""
    text = " ".join(text.split())[:100]
    words = text.split(" ")
    by_name = Q()
    for word in words:
        by_name &= Q(forename__icontains=word) | Q(surname__icontains=word)
    references = AssessmentRequest.objects.filter(reference__icontains=text).values("child_id")
    by_reference = Q(upn__iexact=text) | Q(legacy_ref__iexact=text) | Q(pk__in=references)
    return Child.objects.filter(by_name | by_reference).order_by("surname", "forename", "pk")


def _role_names(user: User | None) -> str:
    if user is None:
        return ""
    names = {group.name for group in user.groups.all()}
    return ", ".join(ROLE_LABELS[role] for role in Role if role.value in names)


def _rows(entries: list[AccessLog]) -> list[dict[str, Any]]:
    return [
        {
            "at": entry.at,
            "who": (entry.user.get_full_name() or entry.user.username) if entry.user else "",
            "username": entry.user.username if entry.user else "",
            "roles": _role_names(entry.user),
            "action": AccessAction(entry.action).label,
            "record": OBJECT_LABELS.get(entry.object_type, entry.object_type.replace("_", " ").capitalize()),
            "record_id": entry.object_id,
            "path": entry.path,
        }
        for entry in entries
    ]


def _entries(child: Child) -> QuerySet[AccessLog]:
    # Served by the (child_id, at) index: "who viewed child X" stays fast at any size.
    return (
        AccessLog.objects.filter(child_id=child.pk)
        .select_related("user")
        .prefetch_related("user__groups")
        .order_by("-at", "-pk")
    )


@requires(Capability.DATA_PROTECTION)
def access_log_search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    children = list(_search(text)[:SEARCH_LIMIT]) if text else []
    context = {"q": text, "children": children, "searched": bool(text), "limit": SEARCH_LIMIT}
    return render(request, "requests_app/access_log_search.html", context)


@requires(Capability.DATA_PROTECTION)
def access_log_child(request: HttpRequest, child_pk: int) -> HttpResponse:
    child = get_object_or_404(Child, pk=child_pk)
    if request.GET.get("format") == "csv":
        return _export(request, child)
    with transaction.atomic():  # reading the log names the child: logged like any other read
        access_log_record(
            user=request.user, child_id=child.pk, object_type="access_log", object_id=child.pk, path=request.path
        )
        paginator = CappedPaginator(_entries(child), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = _rows(list(page.object_list))
    context = {
        "child": child,
        "rows": rows,
        "page": page,
        "total": paginator.count,
        "total_capped": paginator.capped,
        "pagination": pagination(page, ""),
        "requests": list(child.requests.order_by("-received_on", "-pk")),
        "csv_url": reverse("requests:access-log-child", args=[child.pk]) + "?format=csv",
    }
    return render(request, "requests_app/access_log_child.html", context)


def _export(request: HttpRequest, child: Child) -> HttpResponse:
    """The child's whole log as CSV (text neutralised against formula injection by
    ``core.exports``); the export is logged before it is read, in the same transaction. A fresh
    sign-in and a purpose first (the purpose is in the logged path)."""
    gate, _purpose = export_gate(request)
    if gate is not None:
        return gate
    with transaction.atomic():
        access_log_record(
            user=request.user,
            child_id=child.pk,
            object_type="access_log",
            object_id=child.pk,
            action=AccessAction.EXPORT,
            path=request.get_full_path(),
        )
        rows = _rows(list(_entries(child)[:EXPORT_LIMIT]))
    table: list[list[Any]] = [
        ["When (UTC)", "Who", "Username", "Roles", "Action", "Record", "Record id", "Page or API path"]
    ]
    table += [
        [
            row["at"].isoformat(),
            row["who"],
            row["username"],
            row["roles"],
            row["action"],
            row["record"],
            row["record_id"],
            row["path"],
        ]
        for row in rows
    ]
    return export_response(table, stem=f"access-log-child-{child.pk}", fmt="csv")
