"""Domain errors are mapped to pages once, in core.pages (issue 11, "each rule in one place"):
``NotPermitted`` is a 403 wherever a page meets it, even through a form's error helper; any other
domain error a view lets out is an error page with its status and message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from core.errors import Conflict, DomainError, NotPermitted, ValidationFailed
from core.pages import form_add_domain_error, requires
from core.roles import Capability

pytestmark = pytest.mark.django_db


def _raising(error: DomainError) -> Any:
    @requires(Capability.REQUEST_VIEW)
    def view(request: HttpRequest) -> HttpResponse:
        raise error

    return view


def _request(user: Any) -> HttpRequest:
    request = RequestFactory().get("/anything/")
    request.user = user
    return request


def test_not_permitted_from_a_service_is_a_403_without_a_handler_in_the_view(personas) -> None:
    with pytest.raises(PermissionDenied):
        _raising(NotPermitted("Only the chair may do this."))(_request(personas.officer))


@pytest.mark.parametrize(("error", "status"), [(ValidationFailed("Bad", field="x"), 400), (Conflict("Changed"), 409)])
def test_other_domain_errors_become_an_error_page_with_their_status(personas, error, status) -> None:
    response = _raising(error)(_request(personas.officer))
    assert response.status_code == status
    assert error.message in response.content.decode()


def test_the_form_error_helper_does_not_swallow_not_permitted() -> None:
    form = forms.Form(data={})
    form.is_valid()
    with pytest.raises(NotPermitted):
        form_add_domain_error(form, NotPermitted("No"))
    form_add_domain_error(form, ValidationFailed("Enter a date"))
    assert form.non_field_errors() == ["Enter a date"]
