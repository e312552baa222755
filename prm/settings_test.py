"""Test settings: the same as production code paths, with a fast hasher and in-memory e-mail."""

import os

# The test run opts into the development defaults explicitly, as `make run` does.
os.environ.setdefault("DEBUG", "true")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run tasks in-process unless a test sends to a real worker on purpose (send_task).
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ACCOUNT_RATE_LIMITS = {
    "login": "1000/m/ip",
    "login_failed": "5/5m/key",
    "request_login_code": "1000/m/ip",
    "reset_password": "1000/m/ip",
}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
