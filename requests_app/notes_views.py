"""Pages for the contact log and for corrections (issue 13, notes): log a contact or a note on
a request, and correct a child's detail or a request's date with a reason.

Thin, like every page: the capability guards the page before anything is read, the request is
read through ``visible_to`` (404 otherwise), the one service is called, and its domain errors go
back on the form naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404
from django.utils import timezone

from core.models import NeedType
from core.roles import Capability
from requests_app import corrections
from requests_app.corrections import FACT_LABELS, Fact
from requests_app.models import AssessmentDecision, AssessmentRequest, DecisionStage
from requests_app.notes_forms import FORM_FOR_FACT, NoteForm
from requests_app.services.corrections import child_correct, request_correct_date
from requests_app.services.notes import case_note_add
from requests_app.views import ActionView


class NoteAddView(ActionView):
    """Log a phone call, meeting, email or letter, or a case note, on the request."""

    form_class = NoteForm
    title = "Log a contact or note"
    submit_label = "Save to the contact log"
    success_message = "Added to the contact log"

    def capability(self) -> Capability:
        return Capability.CASE_NOTE_ADD

    def not_allowed_now(self) -> str | None:
        return None  # any status: the family still calls after a decision

    def initial(self) -> dict[str, Any]:
        return {"happened_on": timezone.localdate()}

    def perform(self, form: Any) -> Any:
        data = form.cleaned_data
        return case_note_add(
            actor=self.request.user,
            request=self.req.pk,
            kind=data["kind"],
            happened_on=data["happened_on"],
            with_whom=data["with_whom"],
            party=data["party"],
            direction=data["direction"],
            summary=data["summary"],
        )

    def success_url(self) -> str:
        return super().success_url() + "#contact-log"


def _standing(req: AssessmentRequest) -> dict[str, AssessmentDecision]:
    return {d.stage: d for d in req.decisions.filter(superseded=False)}


def request_dates(req: AssessmentRequest) -> corrections.RequestDates:
    decisions = _standing(req)
    assess, issue = decisions.get(DecisionStage.ASSESS), decisions.get(DecisionStage.ISSUE)
    return corrections.RequestDates(
        received_on=req.received_on,
        assess_decision_on=assess.notified_on if assess else None,
        issue_decision_on=issue.notified_on if issue else None,
        draft_issued_on=req.draft_issued_on,
        family_comments_on=req.family_comments_received_on,
        final_plan_issued_on=req.final_plan_issued_on,
        request_outcome_on=req.request_outcome_on,
        assessment_outcome_on=req.assessment_outcome_on,
    )


def _shown(value: Any) -> str:
    if value in (None, ""):
        return "Not recorded"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


class CorrectView(ActionView):
    """Correct one fact (the URL names it) with the new value and the reason."""

    submit_label = "Save the correction"
    success_message = "Correction saved"
    fact: Fact

    def capability(self) -> Capability:
        return Capability.RECORD_CORRECT

    def load(self, **kwargs: Any) -> None:
        super().load(**kwargs)
        try:
            self.fact = Fact(kwargs["fact"])
        except ValueError:
            raise Http404("No such fact") from None
        self.form_class = FORM_FOR_FACT[self.fact]
        label = FACT_LABELS[self.fact]
        self.title = f"Correct the {label[:1].lower()}{label[1:]}"

    def not_allowed_now(self) -> str | None:
        if self.fact in corrections.REQUEST_FACTS and self.fact not in corrections.correctable_request_facts(
            request_dates(self.req)
        ):
            return f"There is no {FACT_LABELS[self.fact].lower()} to correct on this request."
        return None

    def form_kwargs(self) -> dict[str, Any]:
        return {"fact": self.fact}

    def current(self) -> Any:
        child = self.req.child
        if self.fact == Fact.NAME:
            return child.full_name
        if self.fact == Fact.SCHOOL:
            return child.current_establishment.name if child.current_establishment else None
        if self.fact == Fact.DISTRICT:
            return child.district.name
        if self.fact in (Fact.PRIMARY_NEED, Fact.SECONDARY_NEED):
            code = getattr(child, self.fact.value)
            return dict(NeedType.choices).get(code) if code else None
        if self.fact in corrections.REQUEST_FACTS:
            return getattr(request_dates(self.req), self.fact.value)
        return getattr(child, self.fact.value)

    def initial(self) -> dict[str, Any]:
        child = self.req.child
        if self.fact == Fact.NAME:
            return {"forename": child.forename, "surname": child.surname}
        if self.fact in (Fact.DATE_OF_BIRTH, Fact.UPN, Fact.POSTCODE, Fact.PRIMARY_NEED, Fact.SECONDARY_NEED):
            return {"value": getattr(child, self.fact.value)}
        if self.fact == Fact.SCHOOL:
            return {"value": child.current_establishment_id}
        if self.fact == Fact.DISTRICT:
            return {"value": child.district_id}
        return {"value": getattr(request_dates(self.req), self.fact.value)}

    def extra_context(self) -> dict[str, Any]:
        label = FACT_LABELS[self.fact]
        where = "every request for this child" if self.fact in corrections.CHILD_FACTS else "this request"
        return {
            "intro": f"{label} recorded now: {_shown(self.current())}. The correction and its reason "
            f"go on the timeline of {where}, with the value before and after."
        }

    def perform(self, form: Any) -> Any:
        reason = form.cleaned_data["reason"]
        if self.fact in corrections.CHILD_FACTS:
            return child_correct(
                actor=self.request.user, child=self.req.child_id, fact=self.fact, value=form.new_value(), reason=reason
            )
        return request_correct_date(
            actor=self.request.user, request=self.req.pk, fact=self.fact, value=form.new_value(), reason=reason
        )
