"""System checks of the deployment that Django's own checklist cannot know about.

A per-process cache (``LocMemCache``: no ``REDIS_URL``) is right for one process, the embedded
default. Several web processes each keep their own copy: a write drops the dashboard's cached
figures in the process that served it only, and the others keep serving the old ones for up to
``REPORTING_CACHE_SECONDS``; login throttles count per process too. So with DEBUG off and more than
one web worker, PRM refuses to run without a shared cache: ``manage.py check`` (and so ``migrate``,
which the production stack runs before starting) reports an error, and the WSGI application
refuses to load (``wsgi.py``), so gunicorn's workers fail to boot rather than serve stale figures.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

PER_PROCESS_CACHES = {"django.core.cache.backends.locmem.LocMemCache"}
WORKERS_OPTION = re.compile(r"^(?:-w|--workers)(?:=?(\d+))?$")


def _workers_in(args: list[str]) -> int | None:
    """The value of gunicorn's ``-w N`` / ``--workers N`` / ``--workers=N`` in ``args``, if any."""
    for index, arg in enumerate(args):
        if match := WORKERS_OPTION.match(arg):
            value = match.group(1) or (args[index + 1] if index + 1 < len(args) else "")
            if value.isdigit():
                return int(value)
    return None


def web_workers() -> int:
    """How many web processes this deployment runs, as far as the process can tell: gunicorn's
    ``WEB_CONCURRENCY`` (its default for ``--workers``), ``GUNICORN_CMD_ARGS``, or the gunicorn
    command line this process was started with. 1 when nothing says more."""
    found = [1]
    if (concurrency := os.environ.get("WEB_CONCURRENCY", "").strip()).isdigit():
        found.append(int(concurrency))
    if (workers := _workers_in(shlex.split(os.environ.get("GUNICORN_CMD_ARGS", "")))) is not None:
        found.append(workers)
    if (
        "gunicorn" in os.path.basename(sys.argv[0] if sys.argv else "")
        and (workers := _workers_in(sys.argv[1:])) is not None
    ):
        found.append(workers)
    return max(found)


def shared_cache_problem() -> str | None:
    """Why this deployment's cache would serve stale figures, or None when it is fine."""
    backend = settings.CACHES["default"]["BACKEND"]
    workers = web_workers()
    if settings.DEBUG or backend not in PER_PROCESS_CACHES or workers <= 1:
        return None
    return (
        f"{workers} web workers with a per-process cache ({backend.rsplit('.', 1)[-1]}): each worker "
        "would keep its own dashboard figures and serve stale ones after a write in another, and "
        "count login throttles apart."
    )


@register()
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problem = shared_cache_problem()
    if problem is None:
        return []
    return [
        Error(
            problem,
            hint="Set REDIS_URL (the production stack, docker-compose.yml, always has Redis), or run "
            "one web worker (WEB_CONCURRENCY=1).",
            id="prm.E001",
        )
    ]


def refuse_unshared_cache() -> None:
    """At the WSGI application's start: raise when ``check_shared_cache`` would report an error."""
    if (problem := shared_cache_problem()) is not None:
        raise ImproperlyConfigured(f"{problem} Set REDIS_URL, or run one web worker (WEB_CONCURRENCY=1).")
