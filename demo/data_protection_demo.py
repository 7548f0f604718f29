"""Demo data protection work (issue 14): a subject access copy, ready to download, for one of the
demo children (asked for by the demo data protection officer), and today's retention list with
one child under legal hold, so the pages show something after ``make run``. Through the services;
nothing is anonymised (the list awaits an administrator's approval)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils import timezone

from demo.requests_demo import DEMO_PREFIX
from requests_app.models import AssessmentRequest, Child, SubjectAccessRequest
from requests_app.services import retention, subject_access

DEMO_DPO = "dpo"


@dataclass(frozen=True)
class DataProtectionSummary:
    copies: int = 0
    due: int = 0
    held: int = 0
    skipped: bool = False

    def message(self) -> str:
        if self.skipped:
            return "already there, or no demo data protection officer"
        return f"{self.copies} subject access copy, retention list: {self.due} case files due ({self.held} held)"


def seed() -> DataProtectionSummary:
    dpo = User.objects.filter(username=DEMO_DPO).first()
    first = AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX).order_by("pk").first()
    if dpo is None or first is None or SubjectAccessRequest.objects.exists():
        return DataProtectionSummary(skipped=True)
    sar = subject_access.sar_request(actor=dpo, child=first.child)
    subject_access.sar_build(sar.pk)  # at once: the demo has no worker running yet
    oldest = Child.objects.filter(anonymised_at__isnull=True).order_by("date_of_birth", "pk").first()
    today = timezone.localdate()
    if oldest is not None and oldest.date_of_birth <= today.replace(year=today.year - 31, day=min(today.day, 28)):
        Child.objects.filter(pk=oldest.pk).update(legal_hold=True, legal_hold_reason="Demo: a Tribunal claim")
    run = retention.retention_review()
    items = run.items.all()
    return DataProtectionSummary(copies=1, due=items.count(), held=items.filter(held=True).count())
