"""``migrate`` as the owner role when ``DATABASE_OWNER_URL`` is set, then row grants for the app's role.

The web and the workers connect with ``DATABASE_URL`` as a role that owns no table (so it cannot
turn row-level security off); only schema changes need the owner, and this is where they happen.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from prm.db import connected_as, grant_runtime_role, owner_credentials


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        alias = options.get("database") or DEFAULT_DB_ALIAS
        owner = owner_credentials()
        connection = connections[alias]
        if owner is None or connection.vendor != "postgresql":
            super().handle(*args, **options)
            return
        runtime_user = settings.PRM_DATABASE_RUNTIME_USER
        with connected_as(alias, owner):
            super().handle(*args, **options)
            if runtime_user != owner["USER"]:
                grant_runtime_role(alias, runtime_user)
