"""Bad input never gives a 500, and the API always answers in JSON, even when Django refuses the
request before any view runs (a body over the size limit)."""

import pytest
from django.test import override_settings

from prm.permissions import Role


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("levels", [900, 1_000, 100_000])
def test_deeply_nested_json_is_a_400_naming_the_problem(world_a, client_for, levels):
    client = client_for(world_a.user(Role.MANAGER))

    response = client.post("/api/v1/t/alpha/partners/", data=_nested(levels), content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_nesting_within_reason_still_reaches_validation(world_a, client_for):
    client = client_for(world_a.user(Role.MANAGER))

    response = client.post(
        "/api/v1/t/alpha/partners/", data='{"name": [[["x"]]]}', content_type="application/json"
    )

    assert response.status_code == 400
    assert "name" in response.json()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)
def test_an_api_body_over_the_size_limit_gets_a_json_413(world_a, client_for):
    client = client_for(world_a.user(Role.MANAGER))

    response = client.post(
        "/api/v1/t/alpha/partners/",
        data='{"name": "' + "x" * 2_000 + '"}',
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than this server accepts."}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)
def test_a_page_form_over_the_size_limit_gets_the_sites_own_413_page(world_a, client_for):
    client = client_for(world_a.user(Role.MANAGER))

    response = client.post("/t/alpha/partners/new/", {"name": "x" * 2_000})

    assert response.status_code == 413
    assert b"larger than this server accepts" in response.content
