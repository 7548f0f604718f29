"""Demo mediation and SEND Tribunal appeals on some of the demo requests, recorded through the
services (with ``today`` given, nothing patched): an order awaiting compliance and overdue, one
due soon, one complied with, one dismissed, and mediation with and without a meeting."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User

from demo.requests_demo import DEMO_PREFIX
from requests_app.models import Appeal, AssessmentRequest
from requests_app.services.disputes import (
    appeal_record_compliance,
    appeal_record_outcome,
    appeal_register,
    mediation_record,
)
from requests_app.workflow import Status

DEMO_OFFICER = "officer"


@dataclass(frozen=True)
class DisputesSummary:
    mediations: int = 0
    appeals: int = 0
    skipped: bool = False

    def message(self) -> str:
        if self.skipped:
            return "already there, or no demo officer to record them"
        return f"{self.mediations} mediations, {self.appeals} appeals"


def seed(rng: random.Random, *, today: date) -> DisputesSummary:
    officer = User.objects.filter(username=DEMO_OFFICER).first()
    demo = AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX)
    if officer is None or Appeal.objects.filter(request__in=demo).exists():
        return DisputesSummary(skipped=True)
    refused = list(
        demo.filter(status=Status.REFUSED, assessment_outcome_on__isnull=True)
        .exclude(request_outcome_on__isnull=True)
        .order_by("request_outcome_on")[:8]
    )
    mediations = appeals = 0
    # (letter days ago, certificate after, registered after, decided after, outcome, order, complied after)
    stories = [
        (230, 20, 35, 105, "upheld", "assess", None),  # ordered 90 days ago: 14 weeks = 98, due soon
        (300, 18, 30, 160, "upheld", "assess", None),  # ordered 140 days ago: overdue
        (260, 25, 40, 150, "conceded", "change_school", 12),  # complied with inside 2 weeks
        (200, 15, 30, 120, "dismissed", "", None),
        (120, 14, 30, None, "", "", None),  # awaiting the Tribunal
    ]
    for request, story in zip(refused, stories, strict=False):
        letter_ago, cert_after, reg_after, decided_after, outcome, order, complied_after = story
        letter = max(request.request_outcome_on or today, today - timedelta(days=letter_ago))
        if letter + timedelta(days=(decided_after or reg_after) + (complied_after or 0)) > today:
            continue
        mediation = mediation_record(
            actor=officer,
            request=request,
            against="refusal_to_assess",
            decision_letter_on=letter,
            adviser_contacted_on=letter + timedelta(days=cert_after - 4),
            certificate_issued_on=letter + timedelta(days=cert_after),
            outcome="not_wanted",
            today=today,
        )
        mediations += 1
        appeal = appeal_register(
            actor=officer,
            request=request,
            against="refusal_to_assess",
            decision_letter_on=letter,
            registered_on=letter + timedelta(days=reg_after),
            hearing_on=letter + timedelta(days=(decided_after or reg_after + 120)),
            mediation=mediation,
            today=today,
        )
        appeals += 1
        if decided_after is None:
            continue
        decided = letter + timedelta(days=decided_after)
        appeal = appeal_record_outcome(
            actor=officer, appeal=appeal, outcome=outcome, decided_on=decided, order_type=order, today=today
        )
        if complied_after is not None:
            appeal_record_compliance(
                actor=officer, appeal=appeal, complied_on=decided + timedelta(days=complied_after), today=today
            )
    for request in refused[len(stories) : len(stories) + 2]:
        letter = request.request_outcome_on or today
        if letter + timedelta(days=40) > today:
            continue
        mediation_record(
            actor=officer,
            request=request,
            against="refusal_to_assess",
            decision_letter_on=letter,
            adviser_contacted_on=letter + timedelta(days=10),
            certificate_issued_on=letter + timedelta(days=38),
            held_on=letter + timedelta(days=35),
            outcome=rng.choice(["resolved", "partly_resolved"]),
            today=today,
        )
        mediations += 1
    return DisputesSummary(mediations=mediations, appeals=appeals)
