"""/healthz tells a load balancer whether the app can serve: database (and broker, when set)."""

from __future__ import annotations

from django.test import Client


def test_health_check_reports_the_database_ok(db, settings):
    response = Client().get("/healthz")

    body = response.json()
    assert response["Content-Type"] == "application/json"
    assert body["database"] == "ok"
    if not settings.REDIS_URL:
        assert response.status_code == 200
        assert body["status"] == "ok"
        assert body["broker"].startswith("not configured")


def test_health_check_needs_no_login_and_is_never_cached(db):
    response = Client().get("/healthz")

    assert response.status_code in {200, 503}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_health_check_answers_over_plain_http_when_https_is_enforced(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new client loads the middleware with the changed setting

    health = client.get("/healthz")
    page = client.get("/accounts/login/")

    assert health.status_code != 301
    assert health.json()["database"] == "ok"
    assert page.status_code == 301
    assert page["Location"].startswith("https://")


def test_health_check_only_reads(db):
    assert Client().post("/healthz").status_code == 405
