"""Subject access requests (UK GDPR Art. 15): a manager or the data protection officer asks for
everything held about a child; a Celery job builds the ZIP (core/subject_data.py); downloading
it needs a recent sign-in and is logged. Every step writes an access-log row naming the child."""

from __future__ import annotations

import calendar
import uuid
from datetime import date

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.access import access_log_record
from core.errors import InvalidTransition, ValidationFailed
from core.models import AccessAction
from core.roles import Capability
from core.subject_data import build_archive
from requests_app.models import Child, SubjectAccessRequest, SubjectAccessStatus
from requests_app.services.common import require

OBJECT_TYPE = "subject_access_request"


def one_month_after(received_on: date) -> date:
    """ICO: the day of receipt is day 1 and the answer is due on the same date next month, or
    the month's last day when it has no such date (31 January -> 28/29 February)."""
    year, month = (received_on.year + 1, 1) if received_on.month == 12 else (received_on.year, received_on.month + 1)
    return date(year, month, min(received_on.day, calendar.monthrange(year, month)[1]))


def sar_request(*, actor: User, child: Child, received_on: date | None = None) -> SubjectAccessRequest:
    """Record the request and queue the job that builds the copy."""
    require(actor, Capability.DATA_PROTECTION)
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today:
        raise ValidationFailed("The date received must be today or in the past", field="received_on")
    with transaction.atomic():
        sar = SubjectAccessRequest.objects.create(
            child=child, requested_by=actor, received_on=received_on, due_on=one_month_after(received_on)
        )
        access_log_record(
            user=actor, child_id=child.pk, object_type=OBJECT_TYPE, object_id=sar.pk, action=AccessAction.EXPORT
        )
        from requests_app.tasks import build_subject_access

        transaction.on_commit(lambda: build_subject_access.delay(sar.pk))
    return sar


def sar_build(sar_id: int) -> SubjectAccessRequest:
    """The job: gather every section, write the ZIP to storage, record its size and digest.
    Idempotent: a copy already built is left as it is."""
    with transaction.atomic():
        sar = SubjectAccessRequest.objects.select_for_update().select_related("child", "requested_by").get(pk=sar_id)
        if sar.status == SubjectAccessStatus.READY:
            return sar
        sar.status, sar.started_at, sar.error = SubjectAccessStatus.RUNNING, timezone.now(), ""
        sar.save(update_fields=["status", "started_at", "error"])
    try:
        child = sar.child
        archive = build_archive(
            child.pk,
            child_label=f"{child.full_name} (born {child.date_of_birth:%d/%m/%Y})",
            produced_by=sar.requested_by.username,
        )
        name = default_storage.save(f"subject-access/{uuid.uuid4().hex}.zip", ContentFile(archive.content))
    except Exception as error:  # recorded on the row for the requester; the worker log has the trace
        SubjectAccessRequest.objects.filter(pk=sar_id).update(
            status=SubjectAccessStatus.FAILED, finished_at=timezone.now(), error=type(error).__name__[:200]
        )
        raise
    with transaction.atomic():
        SubjectAccessRequest.objects.filter(pk=sar_id).update(
            status=SubjectAccessStatus.READY,
            finished_at=timezone.now(),
            archive=name,
            archive_bytes=len(archive.content),
            archive_sha256=archive.sha256,
            manifest=archive.manifest,
        )
    return SubjectAccessRequest.objects.get(pk=sar_id)


def sar_retry(*, actor: User, sar: SubjectAccessRequest) -> SubjectAccessRequest:
    require(actor, Capability.DATA_PROTECTION)
    with transaction.atomic():
        sar = SubjectAccessRequest.objects.select_for_update().get(pk=sar.pk)
        if sar.status != SubjectAccessStatus.FAILED:
            raise InvalidTransition("Only a failed copy can be built again")
        sar.status = SubjectAccessStatus.QUEUED
        sar.save(update_fields=["status"])
        from requests_app.tasks import build_subject_access

        transaction.on_commit(lambda: build_subject_access.delay(sar.pk))
    return sar


def sar_download(*, actor: User, sar: SubjectAccessRequest, path: str = "") -> bytes:
    """The ZIP's bytes, logged as a download of the child's data (in the same transaction)."""
    require(actor, Capability.DATA_PROTECTION)
    if sar.status != SubjectAccessStatus.READY:
        raise InvalidTransition("The copy is not ready to download yet")
    with transaction.atomic():
        access_log_record(
            user=actor,
            child_id=sar.child_id,
            object_type=OBJECT_TYPE,
            object_id=sar.pk,
            action=AccessAction.DOWNLOAD,
            path=path,
        )
        with default_storage.open(sar.archive, "rb") as handle:
            content: bytes = handle.read()
    return content
