"""Counts that stay cheap however many rows there are: counted up to a cap, shown as "10,000+".

A tab or a pager that says "10,000+" is as useful as one that says "1,000,000", and counting stops
after ``cap + 1`` index entries instead of reading every row of a big tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet

CAP = 10_000


@dataclass(frozen=True)
class BoundedCount:
    """``n`` rows, or at least ``n`` when ``capped``."""

    n: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.n:,}+" if self.capped else str(self.n)

    def __bool__(self) -> bool:
        return self.n > 0

    def __add__(self, other: BoundedCount) -> BoundedCount:
        return BoundedCount(self.n + other.n, self.capped or other.capped)


def bounded_counts(querysets: dict[str, QuerySet[Any]], *, cap: int | None = None) -> dict[str, BoundedCount]:
    """Each queryset's number of rows up to ``cap`` (default ``CAP``), all in one statement."""
    cap = CAP if cap is None else cap
    if not querysets:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    for qs in querysets.values():
        sql, qs_params = qs.order_by().values("pk")[: cap + 1].query.sql_with_params()
        # The queryset's own compiled SQL, its values as parameters: nothing from outside is spliced.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS bounded)")  # noqa: S608
        params.extend(qs_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {name: BoundedCount(min(n, cap), n > cap) for name, n in zip(querysets, row, strict=True)}


def bounded_count(queryset: QuerySet[Any], *, cap: int | None = None) -> BoundedCount:
    return bounded_counts({"n": queryset}, cap=cap)["n"]


class BoundedPaginator(Paginator):  # type: ignore[type-arg]  # as prm.ui's Paginator use
    """A paginator that counts at most ``cap`` rows: past it, the last reachable page is the cap's
    and ``bounded_count`` says "10,000+" (narrow the list with its filters to see further)."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int | None = None, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def bounded_count(self) -> BoundedCount:
        return bounded_count(cast(QuerySet[Any], self.object_list), cap=self.cap)

    @cached_property
    def count(self) -> int:
        return self.bounded_count.n
