"""Free text has a length cap, declared in the schema and enforced in forms; bodies over
Django's upload limit get the API's JSON error shape (issue 14 item 4; ASVS 5.0 V15.2.2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from core import limits
from panels.forms import ReferralForm
from requests_app.forms import WithdrawForm

MEGABYTE_OF_TEXT = "x" * 1_000_000


def _request_body_schemas(document: dict[str, Any]) -> set[str]:
    """Every component reachable from a request body."""
    found: set[str] = set()

    def refs(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                found.add(node["$ref"].rsplit("/", 1)[-1])
            for value in node.values():
                refs(value)
        elif isinstance(node, list):
            for value in node:
                refs(value)

    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                refs(operation["requestBody"])
    components = document["components"]["schemas"]
    size = 0
    while size != len(found):
        size = len(found)
        for name in list(found):
            refs(components.get(name, {}))
    return found


def test_every_free_text_field_in_a_request_body_declares_a_length_cap():
    document = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    components = document["components"]["schemas"]
    uncapped = []
    for name in sorted(_request_body_schemas(document)):
        for field, schema in components[name].get("properties", {}).items():
            item = schema.get("items", {}) if schema.get("type") == "array" else schema
            if item.get("type") != "string":
                continue
            # A closed set (enum or pattern) or a format (date, email) bounds the text already.
            if not ({"maxLength", "enum", "pattern", "format"} & set(item)):
                uncapped.append(f"{name}.{field}")
            elif "maxLength" in item:
                assert item["maxLength"] <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE, f"{name}.{field}"
    assert uncapped == []


@pytest.mark.django_db
def test_a_megabyte_needs_summary_is_refused_naming_the_field(api_client_for, personas):
    response = api_client_for(personas.officer).post(
        "/api/panel/referrals/", {"request_id": 1, "kind": "therapy", "needs_summary": MEGABYTE_OF_TEXT}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "needs_summary" in errors
    assert str(limits.LONG_TEXT) in errors["needs_summary"][0].replace(",", "")


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_gets_the_api_json_error_shape(api_client_for, personas):
    body = json.dumps({"needs_summary": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = api_client_for(personas.officer).post("/api/panel/referrals/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "too_large"
    assert response.json()["detail"].startswith("The data sent is too large")


@pytest.mark.django_db
def test_a_page_gets_the_error_page_for_a_body_over_the_limit(page_client_for, personas):
    client = page_client_for(personas.officer)
    response = client.post("/requests/new/", {"forename": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert response.status_code == 413
    assert "The data sent is too large" in response.content.decode()


def test_forms_cap_text_fields_that_set_no_cap_of_their_own():
    form = ReferralForm(data={"kind": "therapy", "needs_summary": MEGABYTE_OF_TEXT})
    assert not form.is_valid()
    assert "needs_summary" in form.errors
    assert form.fields["needs_summary"].max_length == limits.FORM_TEXTAREA_DEFAULT
    assert form.fields["cost_other_description"].max_length == 200  # its own cap is kept


def test_a_reason_over_the_cap_is_refused_on_the_page_form():
    form = WithdrawForm(data={"reason": "x" * (limits.LONG_TEXT + 1)})
    assert not form.is_valid()
    assert "reason" in form.errors
