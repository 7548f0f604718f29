"""Retention at date of birth + 31 years, end to end (issue 14; docs/retention.md): the rule
as settings give it (no database), the service on a fixed day, and the Celery jobs as beat and
the approval run them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from core.roles import Role
from requests_app import retention as rules
from requests_app.models import Child, RetentionRun, RetentionRunStatus
from requests_app.services import retention
from requests_app.tasks import retention_apply_task, retention_review_task
from tests.conftest import make_user
from tests.requests_app.factories import ChildFactory, ReceivedRequestFactory


def test_the_default_schedule_keeps_a_case_file_to_the_31st_birthday_then_anonymises() -> None:
    rule = rules.schedule(settings.RETENTION_SCHEDULE)["sen_case_file"]
    assert (rule.basis, rule.years, rule.action) == ("date_of_birth", 31, "anonymise")
    born = date(2001, 6, 30)
    assert rule.due_on(born) == date(2032, 6, 30)
    assert not rule.is_due(born, date(2032, 6, 29))
    assert rule.is_due(born, date(2032, 6, 30))
    assert rule.due_on(date(2004, 2, 29)) == date(2035, 2, 28)  # a leap-day birthday


@pytest.mark.django_db
def test_the_service_lists_a_child_on_their_31st_birthday_and_not_the_day_before() -> None:
    today = date(2030, 5, 10)
    on_the_day = ChildFactory(date_of_birth=date(1999, 5, 10))
    the_day_after = ChildFactory(date_of_birth=date(1999, 5, 11))
    run = retention.retention_review(today=today, now=timezone.now())
    items = {item.child_id: item for item in run.items.all()}
    assert set(items) == {on_the_day.pk}
    assert items[on_the_day.pk].due_on == today
    assert the_day_after.pk not in items


@pytest.mark.django_db
def test_the_nightly_job_lists_and_the_approved_job_anonymises(django_capture_on_commit_callbacks: Any) -> None:
    """Beat runs ``data_protection.retention_review`` at 03:15; approval queues
    ``data_protection.retention_apply`` after commit. Both run here in-process, as a worker
    would run them."""
    assert settings.CELERY_BEAT_SCHEDULE["retention-review"]["task"] == "data_protection.retention_review"
    today = timezone.localdate()
    due = ReceivedRequestFactory(
        child=ChildFactory(date_of_birth=today.replace(year=today.year - 31) - timedelta(days=3), surname="Ortolan")
    ).child
    kept = ChildFactory(date_of_birth=today.replace(year=today.year - 30))

    run_id = retention_review_task.apply().get()
    run = RetentionRun.objects.get(pk=run_id)
    assert list(run.items.values_list("child_id", flat=True)) == [due.pk]
    assert retention_review_task.apply().get() == run_id  # once a day: the same list

    admin = make_user(Role.ADMIN, username="dob31_admin")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        retention.retention_approve(actor=admin, run=run)
    assert len(queued) == 1  # the apply job, queued after commit
    assert retention_apply_task.apply(args=[run.pk]).get() == RetentionRunStatus.DONE

    assert Child.objects.get(pk=due.pk).surname == f"Child {due.pk}"
    assert Child.objects.get(pk=kept.pk).anonymised_at is None
