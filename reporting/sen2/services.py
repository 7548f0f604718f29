"""Building, storing and checking a SEN2 return (docs/sen2.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone
from lxml import etree

from core.access import access_log_record
from core.errors import Conflict, DomainError
from core.models import AccessAction, Council
from reporting.models import Sen2Return, Sen2ReturnStatus
from reporting.sen2 import build, codes, published, selectors, validate
from requests_app.models import AssessmentRequest
from requests_app.reports import annual_request_metrics

Progress = Callable[[int], None]
# The Celery task that builds a queued return (reporting.tasks.sen2_return).
TASK_NAME = "reports.sen2_return"


@dataclass(frozen=True)
class Built:
    content: bytes
    root: etree._Element
    index: list[tuple[int, list[int]]]
    findings: list[validate.Finding]


def la_number() -> str:
    council = Council.objects.first()
    if council is None:
        # The service's set-up, not the data sent, is what is missing: 409, like any other state
        # that refuses the action (the request itself was valid).
        raise Conflict("Set the council (its name and LA number) before making the SEN2 return")
    return council.la_number


def sen2_build(*, census: date, created_at: datetime | None = None, on_progress: Progress | None = None) -> Built:
    """The return for ``census`` as the case record has it now, with its validation findings."""
    header = build.Header(
        census=census, la_number=la_number(), created_at=timezone.localtime(created_at or timezone.now())
    )
    total = selectors.candidate_requests(census).count() or 1
    seen = 0

    def persons() -> Any:
        nonlocal seen
        for person in selectors.persons_for(census):
            seen += len(person.requests)
            if on_progress is not None and seen % 500 < len(person.requests):
                on_progress(min(90, seen * 90 // total))
            yield person

    built = build.build_return(header, persons())
    content = build.to_bytes(built.root)
    return Built(content, built.root, built.index, validate.validate(built.root))


def _record_keys(request: AssessmentRequest, year: int) -> set[str]:
    """The dashboard's annual counts one request adds to (requests_app.reports definitions)."""
    keys: set[str] = set()
    if request.received_on.year == year:
        keys.add("requests_received")
        if request.request_outcome in published.REQUEST_OUTCOME_KEYS:
            keys.add(published.REQUEST_OUTCOME_KEYS[request.request_outcome])
    on = request.assessment_outcome_on
    if on is not None and on.year == year:
        if request.assessment_outcome == "Y":
            within = on <= request.final_plan_due_on
            keys.add("plans_issued")
            keys |= {"plans_issued_within_20_weeks"} if within else set()
            if not request.week20:
                keys.add("plans_issued_excluding_exceptions")
                keys |= {"plans_issued_within_20_weeks_excluding_exceptions"} if within else set()
        elif request.assessment_outcome == "N":
            keys.add("not_issue_decisions")
            if on <= request.not_issue_due_on:
                keys.add("not_issue_decisions_within_16_weeks")
    return keys


def compare_with_dashboard(root: etree._Element, index: list[tuple[int, list[int]]], census: date) -> dict[str, Any]:
    """The published figures from the return beside the dashboard's annual DfE-basis figures for
    the same year, and each case counted differently, with the reason where it is known."""
    year = codes.collection_period(census)[0].year
    figures = published.published_figures(root)
    dashboard = annual_request_metrics(year=year)
    in_return: dict[int, set[str]] = {}
    for case in published.counted(root):
        in_return[index[case.person][1][case.request]] = set(case.keys)
    start, end = date(year, 1, 1), date(year, 12, 31)
    in_record = {
        r.pk: _record_keys(r, year)
        for r in AssessmentRequest.objects.filter(received_on__range=(start, end))
        | AssessmentRequest.objects.filter(assessment_outcome_on__range=(start, end))
    }
    cases = []
    references = dict(
        AssessmentRequest.objects.filter(pk__in=set(in_return) | set(in_record)).values_list("pk", "reference")
    )
    dates = {r.pk: r for r in AssessmentRequest.objects.filter(pk__in=_differing(in_return, in_record))}
    for pk in sorted(_differing(in_return, in_record)):
        request = dates[pk]
        after = [d for d in (request.request_outcome_on, request.assessment_outcome_on) if d and d > census]
        cases.append(
            {
                "request_id": pk,
                "reference": references.get(pk) or f"Request {pk}",
                "only_in_return": sorted(in_return.get(pk, set()) - in_record.get(pk, set())),
                "only_on_dashboard": sorted(in_record.get(pk, set()) - in_return.get(pk, set())),
                "reason": "Decided after the census date: the return shows it as it stood then"
                if after
                else "Not explained: check the case",
                "explained": bool(after),
            }
        )
    rows = [
        {
            "key": key,
            "label": published.LABELS[key],
            "return": figures.get(key),
            "dashboard": dashboard.get(key),
            "agrees": figures.get(key) == dashboard.get(key),
        }
        for key in (*published.COUNTS, *published.RATES)
    ]
    return {"year": year, "rows": rows, "cases": cases}


def _differing(left: dict[int, set[str]], right: dict[int, set[str]]) -> set[int]:
    return {pk for pk in set(left) | set(right) if left.get(pk, set()) != right.get(pk, set())}


def _finding_json(finding: validate.Finding, index: list[tuple[int, list[int]]]) -> dict[str, Any]:
    child_id = request_id = None
    if finding.person is not None and finding.person < len(index):
        child_id, request_ids = index[finding.person]
        if finding.request is not None and finding.request < len(request_ids):
            request_id = request_ids[finding.request]
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "person": finding.person_label,
        "child_id": child_id,
        "request_id": request_id,
    }


def sen2_return_request(*, census: date, user: Any) -> Sen2Return:
    """Queue a return for ``census``; the worker builds it (``reporting.tasks.sen2_return``)."""
    la_number()
    with transaction.atomic():
        row = Sen2Return.objects.create(census_date=census, requested_by=user, requested_at=timezone.now())
        transaction.on_commit(lambda: current_app.send_task(TASK_NAME, args=[row.pk]))
    return row


def sen2_return_run(*, return_id: int) -> Sen2Return:
    """Build, validate and compare one queued return, saving progress as it goes. Safe to run
    twice: a finished return is left as it is."""
    row = Sen2Return.objects.get(pk=return_id)
    if row.status == Sen2ReturnStatus.DONE:
        return row
    Sen2Return.objects.filter(pk=row.pk).update(status=Sen2ReturnStatus.RUNNING, progress=1)

    def progress(percent: int) -> None:
        Sen2Return.objects.filter(pk=row.pk).update(progress=max(1, percent))

    try:
        built = sen2_build(census=row.census_date, created_at=row.requested_at, on_progress=progress)
        comparison = compare_with_dashboard(built.root, built.index, row.census_date)
    except DomainError as error:
        Sen2Return.objects.filter(pk=row.pk).update(status=Sen2ReturnStatus.FAILED, failure=str(error))
        row.refresh_from_db()
        return row
    row.content = built.content
    row.persons = len(built.index)
    row.error_count = len(validate.errors(built.findings))
    row.query_count = len(built.findings) - row.error_count
    row.report = {
        "findings": [_finding_json(f, built.index) for f in built.findings],
        "comparison": comparison,
    }
    row.status, row.progress, row.finished_at = Sen2ReturnStatus.DONE, 100, timezone.now()
    row.save()
    return row


def sen2_return_download(*, row: Sen2Return, user: Any, path: str = "") -> bytes:
    """The file, with its download written to the access log (one row for the whole return)."""
    with transaction.atomic():
        access_log_record(
            user=user, child_id=None, object_type="sen2_return", object_id=row.pk, action=AccessAction.EXPORT, path=path
        )
    return bytes(row.content)
