"""Settings come from the environment: production refuses to start without a secret key, and a
properly configured production environment passes Django's deployment checklist."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``manage.py`` as an operator would: a clean environment plus ``env`` (no DATABASE_URL,
    no REDIS_URL, whatever the test run itself uses)."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SYSTEMROOT") if key in os.environ}
    base["DJANGO_SETTINGS_MODULE"] = "prm.settings"
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def random_secret_key(length: int = 60) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="false")

    assert result.returncode != 0, result.stdout
    assert "SECRET_KEY" in result.stderr, result.stderr
    assert "ImproperlyConfigured" in result.stderr, result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY=random_secret_key(), ALLOWED_HOSTS="prm.example.com",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_deployment_checklist_flags_production_without_allowed_hosts():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DEBUG="false", SECRET_KEY=random_secret_key()
    )

    assert result.returncode != 0, result.stdout
    assert "ALLOWED_HOSTS" in result.stderr, result.stderr


def test_deployment_checklist_flags_a_weak_secret_key():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY="short", ALLOWED_HOSTS="prm.example.com",
    )  # fmt: skip

    assert result.returncode != 0, result.stdout
    assert "SECRET_KEY" in result.stderr, result.stderr


def test_the_embedded_default_starts_when_development_mode_is_asked_for():
    result = manage("check", DEBUG="true")

    assert result.returncode == 0, result.stderr


def test_with_nothing_set_debug_is_off_and_no_secret_key_refuses_to_start():
    result = manage("check")

    assert result.returncode != 0, result.stdout
    assert "SECRET_KEY" in result.stderr, result.stderr


def _cache_backend(**env: str) -> str:
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "prm.settings", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_login_throttles_count_in_redis_when_it_is_configured():
    # allauth keeps its rate-limit counters in the default cache: shared by every web worker.
    assert (
        _cache_backend(REDIS_URL="redis://127.0.0.1:6379/15") == "django.core.cache.backends.redis.RedisCache"
    )


def test_without_redis_the_throttles_count_per_process():
    assert _cache_backend() == "django.core.cache.backends.locmem.LocMemCache"


# --- a shared cache for several web workers ------------------------------------------------------


def _production(**env: str) -> dict[str, str]:
    return {"DEBUG": "false", "SECRET_KEY": random_secret_key(), "ALLOWED_HOSTS": "prm.example.com", **env}


def test_several_web_workers_without_redis_fail_the_checks():
    result = manage("check", "--deploy", **_production(WEB_CONCURRENCY="3"))

    assert result.returncode != 0, result.stdout
    assert "prm.E001" in result.stderr, result.stderr
    assert "REDIS_URL" in result.stderr, result.stderr


def test_several_web_workers_with_redis_pass_the_checks():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        **_production(WEB_CONCURRENCY="3", REDIS_URL="redis://127.0.0.1:6379/15"),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr


def test_the_wsgi_application_refuses_to_start_with_several_workers_and_no_shared_cache():
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env = {**base, "DJANGO_SETTINGS_MODULE": "prm.settings", **_production(GUNICORN_CMD_ARGS="--workers=4")}
    result = subprocess.run(
        [sys.executable, "-c", "import prm.wsgi"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "4 web workers with a per-process cache" in result.stderr


def test_the_worker_count_is_read_from_gunicorns_command_line(monkeypatch):
    from prm.checks import web_workers

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/gunicorn", "prm.wsgi:application", "--workers", "3"])
    assert web_workers() == 3
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/gunicorn", "prm.wsgi:application", "-w5"])
    assert web_workers() == 5
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver", "--workers", "3"])  # not gunicorn
    assert web_workers() == 1


def test_one_worker_or_development_mode_needs_no_shared_cache(settings, monkeypatch):
    from prm.checks import check_shared_cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.DEBUG = False
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert check_shared_cache() == []
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    assert [error.id for error in check_shared_cache()] == ["prm.E001"]
    settings.DEBUG = True
    assert check_shared_cache() == []
