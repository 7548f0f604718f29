"""Pages recording the SEN2 return's items on a request (docs/sen2.md)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse

from core.pages import ActionPage
from core.roles import Capability
from requests_app.models import AssessmentRequest
from requests_app.sen2_forms import PlacementForm, Sen2DetailsForm
from requests_app.services.sen2 import request_add_placement, request_record_sen2


class _Sen2Page(ActionPage):
    template_name = "requests_app/action.html"
    req: AssessmentRequest

    def capability(self) -> Capability:
        return Capability.REQUEST_DECIDE

    def load(self, **kwargs: Any) -> None:
        self.req = get_object_or_404(
            AssessmentRequest.objects.visible_to(self.request.user).select_related("child"), pk=kwargs["pk"]
        )

    def success_url(self) -> str:
        return reverse("requests:detail", args=[self.req.pk]) + "#sen2"

    def page_context(self) -> dict[str, Any]:
        return {"req": self.req}


class Sen2DetailsView(_Sen2Page):
    form_class = Sen2DetailsForm
    title = "SEN2 return details"
    intro = "What the January SEN2 return needs about the child and this request that is not recorded elsewhere."
    submit_label = "Save"
    success_message = "SEN2 return details saved"

    def initial(self) -> dict[str, Any]:
        child, req = self.req.child, self.req
        return {
            "ethnicity": child.ethnicity,
            "uln": child.uln,
            "upn_unknown": child.upn_unknown,
            "sen2_request_source": req.sen2_request_source,
            "rya": req.rya,
            "plan_start_on": req.plan_start_on,
            "plan_ceased_on": req.plan_ceased_on,
            "plan_cease_reason": req.plan_cease_reason,
        }

    def perform(self, form: Any) -> Any:
        return request_record_sen2(actor=self.request.user, request=self.req, **form.cleaned_data)


class PlacementAddView(_Sen2Page):
    form_class = PlacementForm
    title = "Record a placement"
    intro = "A setting named in the plan, a setting the child or young person attends, or both."
    submit_label = "Record placement"
    success_message = "Placement recorded"

    def not_allowed_now(self) -> str | None:
        return None if self.req.final_plan_issued_on else "Placements can be recorded once the final plan is issued"

    def perform(self, form: Any) -> Any:
        return request_add_placement(actor=self.request.user, request=self.req, **form.cleaned_data)
