"""The access log is append-only: in the ORM everywhere, and in PostgreSQL by a trigger that
refuses raw SQL UPDATE and DELETE too; only the retention erasure removes old rows (issue 14)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.access import access_log_record, erase_access_log_before
from core.models import AccessLog, AppendOnlyError

pytestmark = pytest.mark.django_db


def _row(user: Any, *, days_old: int = 0) -> AccessLog:
    if not days_old:
        return access_log_record(user=user, child_id=7, object_type="assessment_request", object_id=1)
    # Backdating after the fact would be an UPDATE: write the old row as old.
    return AccessLog.objects.create(
        user=user, at=timezone.now() - timedelta(days=days_old), action="view", child_id=7, object_type="x"
    )


def _raw(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_orm_refuses_updates_and_deletes(personas: Any) -> None:
    row = _row(personas.officer)
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.filter(pk=row.pk).update(path="/changed/")
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.filter(pk=row.pk).delete()
    row.path = "/changed/"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    assert AccessLog.objects.get(pk=row.pk).path == ""


@pytest.mark.postgres_only
def test_raw_sql_update_is_refused_by_the_trigger(personas: Any) -> None:
    row = _row(personas.officer)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE core_accesslog SET path = %s WHERE id = %s", ["/forged/", row.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE core_accesslog SET at = at - interval '2 years' WHERE id = %s", [row.pk])
    assert AccessLog.objects.get(pk=row.pk).path == ""


@pytest.mark.postgres_only
def test_raw_sql_delete_is_refused_by_the_trigger(personas: Any) -> None:
    recent, old = _row(personas.officer), _row(personas.officer, days_old=800)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM core_accesslog WHERE id = %s", [old.pk])
    # Even with the retention flag set, a recent row stays.
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(
            "SELECT set_config('senportal.access_log_erase', 'on', true); DELETE FROM core_accesslog WHERE id = %s",
            [recent.pk],
        )
    assert AccessLog.objects.filter(pk__in=[recent.pk, old.pk]).count() == 2


def test_the_retention_erasure_removes_only_rows_before_the_cutoff(personas: Any) -> None:
    recent, old = _row(personas.officer), _row(personas.officer, days_old=3000)
    assert erase_access_log_before(timezone.now() - timedelta(days=2000)) == 1
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AccessLog.objects.filter(pk=old.pk).exists()


@pytest.mark.postgres_only
def test_the_retention_erasure_cannot_remove_a_row_less_than_a_year_old(personas: Any) -> None:
    _row(personas.officer, days_old=100)
    with pytest.raises(DatabaseError, match="append-only"):
        erase_access_log_before(timezone.now())
    assert AccessLog.objects.count() == 1
