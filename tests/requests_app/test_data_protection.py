"""Subject access copies and the retention schedule (issue 14): services and the stored figures."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from core.errors import InvalidTransition, NotPermitted
from core.models import AccessAction, AccessLog
from core.roles import Role
from requests_app.models import (
    AssessmentRequest,
    Child,
    RetentionRunStatus,
    SubjectAccessRequest,
    SubjectAccessStatus,
)
from requests_app.people_models import Contact
from requests_app.services import retention, subject_access
from tests.conftest import make_user
from tests.placements.factories import ContractFactory
from tests.requests_app.factories import ChildFactory, ReceivedRequestFactory

pytestmark = pytest.mark.django_db


def _zip(sar: SubjectAccessRequest) -> zipfile.ZipFile:
    with default_storage.open(sar.archive, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


@pytest.fixture
def dpo() -> Any:
    return make_user(Role.DATA_PROTECTION_OFFICER, username="dpo")


@pytest.mark.embedded
def test_the_copy_holds_every_section_with_an_index_and_a_manifest(dpo: Any, on_commit: Any) -> None:
    contract = ContractFactory()
    child = contract.child
    with on_commit(execute=False) as queued:
        sar = subject_access.sar_request(actor=dpo, child=child)
    assert len(queued) == 1 and sar.due_on == subject_access.one_month_after(timezone.localdate())
    sar = subject_access.sar_build(sar.pk)
    assert sar.status == SubjectAccessStatus.READY and len(sar.archive_sha256) == 64
    archive = _zip(sar)
    names = set(archive.namelist())
    assert {"index.html", "manifest.json", "sections/child.json", "sections/requests.json"} <= names
    for key in (
        "timeline",
        "decisions",
        "advice",
        "appeals",
        "panel_referrals",
        "panel_decisions",
        "placement_contracts",
        "access_log",
    ):
        assert f"sections/{key}.json" in names, key
    manifest = json.loads(archive.read("manifest.json"))
    counts = {s["key"]: s["records"] for s in manifest["sections"]}
    assert counts["child"] == 1 and counts["placement_contracts"] == 1 and counts["panel_referrals"] == 1
    assert counts["requests"] == AssessmentRequest.objects.filter(child=child).count() >= 1
    assert counts["access_log"] == 1  # the request for the copy itself
    assert json.loads(archive.read("sections/child.json"))["rows"][0]["surname"] == child.surname
    index = archive.read("index.html").decode()
    assert child.full_name in index and "Placement contracts" in index
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json"}


def test_requesting_and_downloading_are_logged_against_the_child(dpo: Any) -> None:
    child = ReceivedRequestFactory().child
    sar = subject_access.sar_build(subject_access.sar_request(actor=dpo, child=child).pk)
    content = subject_access.sar_download(actor=dpo, sar=sar)
    assert content[:2] == b"PK"
    actions = list(AccessLog.objects.filter(child_id=child.pk).order_by("pk").values_list("action", "object_type"))
    assert actions == [("export", "subject_access_request"), ("download", "subject_access_request")]


@pytest.mark.parametrize("role", [r for r in Role if r not in {Role.MANAGER, Role.DATA_PROTECTION_OFFICER}])
def test_only_managers_and_the_dpo_may_ask_for_a_copy(role: Role) -> None:
    child = ChildFactory()
    with pytest.raises(NotPermitted):
        subject_access.sar_request(actor=make_user(role), child=child)
    assert not SubjectAccessRequest.objects.exists()


def test_a_copy_not_ready_cannot_be_downloaded(dpo: Any) -> None:
    sar = subject_access.sar_request(actor=dpo, child=ChildFactory())
    with pytest.raises(InvalidTransition):
        subject_access.sar_download(actor=dpo, sar=sar)


# --- Retention ---------------------------------------------------------------------------------------


def _child_born(years_ago: int, days: int = 0, **fields: Any) -> Child:
    today = timezone.localdate()
    return ChildFactory(date_of_birth=today.replace(year=today.year - years_ago) + timedelta(days=days), **fields)


@pytest.fixture
def admin() -> Any:
    return make_user(Role.ADMIN, username="retention_admin")


def test_the_dry_run_lists_only_children_past_their_31st_birthday_and_changes_nothing() -> None:
    due = _child_born(31)
    not_yet = _child_born(31, days=1)
    held = _child_born(40, legal_hold=True, legal_hold_reason="Tribunal claim")
    run = retention.retention_review()
    items = {item.child_id: item for item in run.items.all()}
    assert set(items) == {due.pk, held.pk}
    assert items[held.pk].held and not items[due.pk].held
    assert not_yet.pk not in items
    assert Child.objects.get(pk=due.pk).surname == due.surname
    assert retention.retention_review().pk == run.pk  # once a day


def test_nothing_is_applied_without_an_administrators_approval(admin: Any) -> None:
    _child_born(35)
    run = retention.retention_review()
    with pytest.raises(InvalidTransition):
        retention.retention_apply(run.pk)
    with pytest.raises(NotPermitted):
        retention.retention_approve(actor=make_user(Role.MANAGER), run=run)


def test_the_approved_run_anonymises_due_children_but_not_held_ones(admin: Any, on_commit: Any) -> None:
    request = ReceivedRequestFactory(child=_child_born(33), requester_name="A Parent")
    due = request.child
    parent = Contact.objects.create(
        child=due, kind="parent", name="A Parent", email="a.parent@example.com", preferred_contact="email"
    )
    held_by_request = ReceivedRequestFactory(child=_child_born(33), legal_hold=True).child
    run = retention.retention_review()
    with on_commit(execute=False):
        retention.retention_approve(actor=admin, run=run)
    # A hold placed after the list was made still stops it.
    late_hold = _child_born(34)
    Child.objects.filter(pk=late_hold.pk).update(legal_hold=True)
    run = retention.retention_apply(run.pk)
    assert run.status == RetentionRunStatus.DONE
    anonymised = Child.objects.get(pk=due.pk)
    assert anonymised.anonymised_at is not None and anonymised.surname == f"Child {due.pk}"
    assert (anonymised.date_of_birth.month, anonymised.date_of_birth.day) == (1, 1)
    assert AssessmentRequest.objects.get(pk=request.pk).requester_name == ""
    contact = Contact.objects.get(pk=parent.pk)
    assert (contact.name, contact.phone, contact.postcode) == ("Anonymised", "", "")
    assert contact.email in {"", "anonymised@example.invalid"}
    assert AssessmentRequest.objects.filter(child=due).count() == 1  # rows kept
    assert Child.objects.get(pk=held_by_request.pk).anonymised_at is None
    assert AccessLog.objects.filter(action=AccessAction.ERASE, child_id=due.pk, reason="retention").count() == 1
    assert not retention.retention_review(today=timezone.localdate() + timedelta(days=1)).items.filter(child=due)


def test_old_access_log_rows_are_erased_by_the_run(admin: Any, on_commit: Any) -> None:
    old = AccessLog.objects.create(
        user=admin, at=timezone.now() - timedelta(days=7 * 366), action="view", object_type="x"
    )
    recent = AccessLog.objects.create(
        user=admin, at=timezone.now() - timedelta(days=400), action="view", object_type="x"
    )
    run = retention.retention_review()
    assert run.access_log_due == 1
    with on_commit(execute=False):
        retention.retention_approve(actor=admin, run=run)
    assert retention.retention_apply(run.pk).access_log_erased == 1
    assert not AccessLog.objects.filter(pk=old.pk).exists() and AccessLog.objects.filter(pk=recent.pk).exists()


def _figures(*models: Any) -> list[Any]:
    return [list(m.objects.order_by("pk").values_list("pk", "data", "computed_at")) for m in models]


def test_stored_figures_do_not_change_when_cases_are_anonymised(admin: Any, on_commit: Any) -> None:
    from reporting.models import AnnualMetric, MonthlyMetric
    from reporting.services import metrics_compute_month, metrics_compute_year

    month = timezone.localdate().replace(day=1)
    for _ in range(3):
        ReceivedRequestFactory(child=_child_born(32), received_on=month)
    metrics_compute_month(month_start=month)
    metrics_compute_year(year=month.year)
    before = _figures(MonthlyMetric, AnnualMetric)
    assert before
    run = retention.retention_review()
    with on_commit(execute=False):
        retention.retention_approve(actor=admin, run=run)
    retention.retention_apply(run.pk)
    assert Child.objects.filter(anonymised_at__isnull=False).count() == 3
    after = _figures(MonthlyMetric, AnnualMetric)
    assert after == before
