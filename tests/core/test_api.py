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
    response = api_client_for(personas.manager).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "SEN Portal API"
    assert "Error" in schema["components"]["schemas"]


@pytest.mark.django_db
def test_session_authentication_opens_the_browsable_docs(client, personas):
    client.force_login(personas.officer)
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
