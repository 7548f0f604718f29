"""The API does what its schema says (issue 14 item 5): the cases schemathesis found, each
pinned down here so a regression shows without a fuzzing run."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["null", "0", "101", "1e3", "", "x"])
def test_page_size_outside_its_declared_range_is_a_400_naming_it(api_client_for, personas, value):
    response = api_client_for(personas.officer).get("/api/requests/", {"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


@pytest.mark.django_db
def test_page_size_inside_its_range_is_taken(api_client_for, personas):
    response = api_client_for(personas.officer).get("/api/requests/", {"page_size": "100"})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("upn", [123, 1.5, True, ["A123"], {"a": 1}])
def test_a_text_field_sent_as_anything_but_text_is_a_400_naming_it(api_client_for, personas, upn):
    response = api_client_for(personas.officer).post(
        "/api/requests/check-duplicates/",
        {"forename": "Ada", "surname": "Test", "date_of_birth": "2015-01-01", "upn": upn},
        format="json",
    )
    assert response.status_code == 400
    assert "upn" in response.json()["errors"], response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), [("/api/requests/", "open"), ("/api/advice-requests/", "outstanding")])
@pytest.mark.parametrize("value", ["null", "", "yes", "1"])
def test_a_yes_no_filter_takes_true_or_false_only(api_client_for, personas, path, name, value):
    response = api_client_for(personas.officer).get(path, {name: value})
    assert response.status_code == 400
    assert name in response.json()["errors"]


@pytest.mark.django_db
def test_a_yes_no_filter_is_declared_boolean_in_the_schema(api_client_for, personas):
    schema = api_client_for(personas.admin).get("/api/schema/?format=json").json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/requests/"]["get"]["parameters"]}
    assert parameters["open"]["type"] == "boolean"
    assert parameters["overdue"]["type"] == "boolean"
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}


@pytest.mark.django_db
@pytest.mark.parametrize("request_id", ["0", "-1", "99999999999999999999"])
def test_an_id_filter_that_cannot_be_an_id_matches_nothing(api_client_for, personas, request_id):
    response = api_client_for(personas.officer).get("/api/appeals/", {"request": request_id})
    assert response.status_code == 200
    assert response.json()["results"] == []
