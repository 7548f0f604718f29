"""API plumbing: authentication, JSON errors, the schema and the docs."""

import pytest


@pytest.mark.django_db
def test_api_refuses_anonymous_in_json(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code in (401, 403)
    assert "json" in response["Content-Type"]
    assert response.json()["detail"]


@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(api_client_for, personas):
    response = api_client_for(personas.officer).get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
def test_token_authentication_opens_the_schema(api_client_for, personas):
    response = api_client_for(personas.admin).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "SEN Portal API"
    assert "Error" in schema["components"]["schemas"]


@pytest.mark.django_db
def test_session_authentication_opens_the_browsable_docs(client, personas):
    client.force_login(personas.admin)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger" in body.lower()
    # Served from the sidecar package, not a CDN: nothing is downloaded at run time.
    assert "cdn." not in body and "unpkg" not in body


@pytest.mark.django_db
def test_invalid_token_is_refused(client):
    response = client.get("/api/schema/", HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert response.status_code == 401


# --- The schema and its docs: for the roles that integrate (issue 14 item 2) -------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/schema/?format=json", "/api/docs/"])
@pytest.mark.parametrize("persona", ["officer", "head_teacher", "manager", "chair", "finance", "evaluator", "ep"])
def test_the_schema_and_docs_are_not_found_for_roles_that_do_not_integrate(api_client_for, personas, persona, path):
    response = api_client_for(getattr(personas, persona)).get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_schema_and_docs_open_for_the_integration_capability(api_client_for, personas, path):
    from core.roles import Capability, user_can

    assert user_can(personas.admin, Capability.API_INTEGRATE)
    assert api_client_for(personas.admin).get(path).status_code == 200


@pytest.mark.django_db
def test_the_schema_is_not_found_through_a_session_either(client, personas):
    client.force_login(personas.manager)
    assert client.get("/api/docs/").status_code == 404
    assert client.get("/api/schema/").status_code == 404
