"""The Celery app. Every task is a TenantTask (prm.task_base) unless declared cross-tenant."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")

app = Celery("prm", task_cls="prm.task_base:TenantTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
