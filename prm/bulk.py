"""Set-based writes Django has no statement for: many rows updated, each with its own values.

Django's ``bulk_update`` builds a ``CASE`` per row and field (slow past a few hundred rows) and
``executemany`` sends one statement per row; ``update_rows`` sends one ``UPDATE … FROM`` for all
rows on PostgreSQL (``unnest`` of one array per column) and one ``WITH v (…) AS (VALUES …) UPDATE …
FROM v`` per thousand rows on SQLite (≥ 3.33).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from prm.tenancy import require_current_tenant

_MAX_ROWS = 1000


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Set ``fields`` of the current tenant's rows of ``model``: each row is ``(pk, *values)`` in
    the order of ``fields`` (model values: a dict for a JSON field, a Decimal, a datetime).

    The rows are the caller's, read in the current tenant: the statement also requires the
    tenant (a row of another tenant is left alone, as row-level security would). Foreign keys are
    written as given (no per-row tenant check, unlike ``TenantQuerySet.bulk_update``): give ids
    read in this tenant. Returns the number of rows updated."""
    if not rows:
        return 0
    meta = model._meta
    assert meta.pk is not None
    columns: list[models.Field[Any, Any]] = [meta.pk, *(_concrete(meta.get_field(name)) for name in fields)]
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names = ", ".join(quote(_column(field)) for field in columns)
    table = quote(meta.db_table)
    pk = quote(_column(meta.pk))
    sets = ", ".join(f"{quote(_column(field))} = v.{quote(_column(field))}" for field in columns[1:])
    limit = max_query_params()
    batch = max(1, min(_MAX_ROWS, (limit - 1) // len(columns)))
    tenant_id = require_current_tenant().pk
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs per attribute read
    preps = [field.get_db_prep_save for field in columns]
    if connection.vendor == "postgresql":
        # One statement whatever the number of rows: a parameter per column, an array unnest-ed
        # (the server parses it far faster than thousands of row literals).
        arrays = ", ".join(f"CAST(%s AS {field.db_type(connection)}[])" for field in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v ({names}) "  # noqa: S608 (names from the model)
                f"WHERE {table}.{pk} = v.{pk} AND {table}.tenant_id = %s",
                [
                    *(
                        [prep(value, db) for value in column]
                        for prep, column in zip(preps, zip(*rows, strict=True), strict=True)
                    ),
                    tenant_id,
                ],
            )
            return int(cursor.rowcount)
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params: list[Any] = []
            for row in chunk:
                params.extend(prep(value, db) for prep, value in zip(preps, row, strict=True))
            params.append(tenant_id)
            cursor.execute(
                f"WITH v ({names}) AS (VALUES {', '.join([one] * len(chunk))}) "  # noqa: S608 (names from the model)
                f"UPDATE {table} SET {sets} FROM v WHERE {table}.{pk} = v.{pk} AND {table}.tenant_id = %s",
                params,
            )
            updated += cursor.rowcount
    return updated


def max_query_params() -> int:
    """How many parameters one statement may have on this connection. SQLite's real limit
    (32,766 since 3.32) rather than the 999 Django assumes for every SQLite build: statements of
    thousands of rows instead of a hundred statements of 76."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        if raw is not None and hasattr(raw, "getlimit"):  # Python 3.11+
            return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return connection.features.max_query_params or 30000


def _concrete(field: Any) -> models.Field[Any, Any]:
    if not isinstance(field, models.Field) or not field.concrete:
        raise ValueError(f"{field} is not a column of its table.")
    return field


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None  # concrete fields have a column
    return field.column
