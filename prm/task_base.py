"""The one base class of every Celery task: it runs the body inside the task's tenant.

A task receives ``tenant_id`` as a keyword argument and runs in ``tenant_context`` (ORM scope
and the database's row-level security setting). A task without ``tenant_id`` is refused unless
it is declared ``cross_tenant=True`` (fan-out jobs), which must then enter each tenant itself.
"""

from __future__ import annotations

from smtplib import SMTPException
from typing import Any

from celery import Task
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError


class TenantTask(Task):
    cross_tenant: bool = False
    # Transient failures (database restarts, broker hiccups) are retried with backoff.
    autoretry_for = (
        ConnectionError,
        TimeoutError,
        OperationalError,  # the database went away or restarted
        InterfaceError,
        RedisConnectionError,
        SMTPException,
    )
    retry_backoff = True
    retry_kwargs = {"max_retries": 5}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.cross_tenant:
            return super().__call__(*args, **kwargs)
        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise ValueError(
                f"Task {self.name} is tenant-scoped and needs a tenant_id keyword argument; "
                "declare it cross_tenant=True if it deliberately spans tenants."
            )
        from .models import Tenant  # Celery loads this base before Django's apps are ready
        from .tenancy import tenant_context

        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_context(tenant):
            return super().__call__(*args, **kwargs)
