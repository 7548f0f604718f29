"""Pages for mediation and SEND Tribunal appeals on a request, and the list of Tribunal orders
awaiting compliance (soonest deadline first, like every other clock)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from core.access import access_log_record_many
from core.pages import ActionPage, requires
from core.roles import Capability
from requests_app import disputes
from requests_app.dispute_forms import (
    AppealForm,
    AppealOutcomeForm,
    ComplianceForm,
    MediationForm,
    MediationUpdateForm,
)
from requests_app.models import Appeal, AssessmentRequest, Mediation
from requests_app.services.disputes import (
    appeal_record_compliance,
    appeal_record_outcome,
    appeal_register,
    mediation_record,
    mediation_update,
)

TEMPLATE = "requests_app/action.html"


class _DisputePage(ActionPage):
    """An action on a request's mediation or appeal: officers who record decisions."""

    template_name = TEMPLATE
    req: AssessmentRequest

    def capability(self) -> Capability:
        return Capability.REQUEST_DECIDE

    def load(self, **kwargs: Any) -> None:
        self.req = get_object_or_404(
            AssessmentRequest.objects.visible_to(self.request.user).select_related("child"), pk=kwargs["pk"]
        )

    def success_url(self) -> str:
        return reverse("requests:detail", args=[self.req.pk]) + "#disputes"

    def page_context(self) -> dict[str, Any]:
        return {"req": self.req}


class MediationRecordView(_DisputePage):
    form_class = MediationForm
    title = "Record mediation"
    intro = (
        "Before appealing, the family must contact the mediation adviser within 2 months of the decision letter "
        "(reg 33). If they choose to mediate, the council must arrange it within 30 days (reg 35)."
    )
    submit_label = "Record mediation"
    success_message = "Mediation recorded"

    def perform(self, form: Any) -> Any:
        return mediation_record(actor=self.request.user, request=self.req, **form.cleaned_data)


class MediationUpdateView(_DisputePage):
    form_class = MediationUpdateForm
    title = "Update mediation"
    submit_label = "Save"
    success_message = "Mediation updated"
    mediation: Mediation

    def load(self, **kwargs: Any) -> None:
        super().load(**kwargs)
        self.mediation = get_object_or_404(Mediation, pk=kwargs["mediation_pk"], request=self.req)

    def initial(self) -> dict[str, Any]:
        return {
            "certificate_issued_on": self.mediation.certificate_issued_on,
            "held_on": self.mediation.held_on,
            "outcome": self.mediation.outcome,
        }

    def perform(self, form: Any) -> Any:
        return mediation_update(actor=self.request.user, mediation=self.mediation, **form.cleaned_data)


class AppealRegisterView(_DisputePage):
    form_class = AppealForm
    title = "Register an appeal to the SEND Tribunal"
    submit_label = "Register the appeal"
    success_message = "Appeal registered"

    def form_kwargs(self) -> dict[str, Any]:
        return {"request_obj": self.req}

    def perform(self, form: Any) -> Any:
        return appeal_register(actor=self.request.user, request=self.req, **form.cleaned_data)


class _AppealPage(_DisputePage):
    appeal: Appeal

    def load(self, **kwargs: Any) -> None:
        super().load(**kwargs)
        self.appeal = get_object_or_404(Appeal, pk=kwargs["appeal_pk"], request=self.req)


class AppealOutcomeView(_AppealPage):
    form_class = AppealOutcomeForm
    title = "Record the Tribunal's decision"
    intro = "An order starts the council's deadline to comply: 2 to 14 weeks from the order's date (reg 44)."
    submit_label = "Record the decision"
    success_message = "Tribunal decision recorded"

    def not_allowed_now(self) -> str | None:
        if self.appeal.status != disputes.AppealStatus.REGISTERED:
            return "The outcome of this appeal has already been recorded."
        return None

    def perform(self, form: Any) -> Any:
        return appeal_record_outcome(actor=self.request.user, appeal=self.appeal, **form.cleaned_data)


class AppealComplianceView(_AppealPage):
    form_class = ComplianceForm
    title = "Record compliance with the Tribunal's order"
    submit_label = "Record compliance"
    success_message = "Compliance with the order recorded"

    def not_allowed_now(self) -> str | None:
        if self.appeal.status != disputes.AppealStatus.ORDERED:
            return "This appeal has no order awaiting compliance."
        return None

    def extra_context(self) -> dict[str, Any]:
        due = self.appeal.compliance_due_on
        return {"intro": f"{self.appeal.order_label}: due by {due:%-d %B %Y}." if due else ""}

    def perform(self, form: Any) -> Any:
        return appeal_record_compliance(actor=self.request.user, appeal=self.appeal, **form.cleaned_data)


@requires(Capability.REQUEST_VIEW)
def appeal_list(request: HttpRequest) -> HttpResponse:
    """Tribunal orders awaiting compliance, soonest deadline first, then appeals awaiting a
    decision. Every child shown is written to the access log (one row per child)."""
    today = timezone.localdate()
    visible = Appeal.objects.visible_to(request.user).select_related("request", "request__child")
    with transaction.atomic():
        ordered = list(visible.awaiting_compliance().order_by("compliance_due_on", "pk")[:200])
        registered = list(visible.filter(status=disputes.AppealStatus.REGISTERED).order_by("registered_on", "pk")[:200])
        access_log_record_many(
            user=request.user,
            child_ids=sorted({appeal.request.child_id for appeal in ordered + registered}),
            object_type="appeal",
            path=request.path,
        )
    rows = []
    for appeal in ordered:
        assert appeal.compliance_due_on is not None  # the database holds an order to its deadline
        days_left = disputes.compliance_days_left(appeal.compliance_due_on, today=today)
        rows.append({"appeal": appeal, "days_left": days_left, "overdue_days": max(0, -days_left)})
    return render(request, "requests_app/appeal_list.html", {"orders": rows, "registered": registered})
