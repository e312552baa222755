"""Per partner × fiscal quarter totals of registrations and revenue (``PipelineQuarterTotal``).

Why: at a big vendor's scale (a million registrations) the catalog's additive pipeline and revenue
metrics (pipeline sourced and influenced, deals won and their amount, win rate, average deal size,
revenue) summed the base tables on every recomputation. Every period the product shows (a fiscal
quarter, a fiscal year, a trailing four quarters) is a run of whole fiscal quarters, so those parts
are sums of per-quarter sums: the metrics' ``Parts`` read these rows instead (``parts_query``), the
same definition computed from fewer rows. ``base_tables_only()`` switches the rollup off (the
equivalence test compares both ways).

How it stays right. Every write to a registration or a revenue record through the ORM (``save``,
``delete``, and the scoped manager's ``update``, ``bulk_create``, ``bulk_update``, ``delete``)
recomputes, in the same transaction, the rows of the (partner, quarter) pairs it touched, before and
after the write, from the base tables (``refresh``): simple and right by construction. The rows are
locked first and computed by a later statement, so two concurrent writes to one pair queue and the
second sees the first's rows (PostgreSQL's read committed takes a snapshot per statement).
Raw SQL bypasses this; run ``rebuild`` after it (``manage.py rebuild_rollups``).

The rows are keyed by the first day of the tenant's fiscal quarter, with submissions dated in the
current time zone; ``PipelineRollupState`` records both. While they differ from the tenant's (its
fiscal year start month changed), the metrics read the base tables and writes leave the rollup
alone until it is rebuilt (a change of the start month rebuilds it, ``pipeline.apps``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from prm.models import Tenant
from prm.periods import FiscalPeriod, fiscal_quarter_of
from prm.tenancy import get_current_tenant, tenant_context

from .models import DealRegistration, PipelineQuarterTotal, PipelineRollupState, RevenueRecord

Status = DealRegistration.Status
Role = DealRegistration.Role
Key = tuple[int, date]  # (partner id, first day of the fiscal quarter)

# The facts of a row that decide which rollup rows it counts in, and the fields whose change
# changes a total (a write touching none of them leaves the rollup as it is).
FACTS: dict[type, tuple[str, ...]] = {
    DealRegistration: ("partner_id", "submitted_at", "closed_on"),
    RevenueRecord: ("partner_id", "period"),
}
TOTALLED: dict[type, frozenset[str]] = {
    DealRegistration: frozenset(
        {
            "partner",
            "partner_id",
            "submitted_at",
            "closed_on",
            "status",
            "partner_role",
            "amount_reporting",
            "closed_amount_reporting",
            "amount",
            "closed_amount",
            "currency",
        }
    ),
    RevenueRecord: frozenset(
        {"partner", "partner_id", "period", "kind", "amount_reporting", "amount", "currency"}
    ),
}
COLUMNS = (
    "sourced_amount",
    "sourced_count",
    "influenced_amount",
    "influenced_count",
    "won_count",
    "won_amount",
    "lost_count",
    "revenue_amount",
    "revenue_count",
)

_enabled: ContextVar[bool] = ContextVar("pipeline_rollup_enabled", default=True)


@contextmanager
def base_tables_only() -> Iterator[None]:
    """Inside the block the metrics read the base tables, never the rollup."""
    token = _enabled.set(False)
    try:
        yield
    finally:
        _enabled.reset(token)


# --- periods ------------------------------------------------------------------------------------


def submitted_in(period: FiscalPeriod) -> Q:
    """Submitted within the period: from its first day's midnight to the midnight after its last
    day in the current time zone (a range on the column itself, so an index serves it)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(period.start, time.min, tzinfo=zone)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone)
    return Q(submitted_at__gte=start, submitted_at__lt=end)


def dated_in(period: FiscalPeriod, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


def zone_name() -> str:
    return str(timezone.get_current_timezone())


def quarter_start(day: date, start_month: int) -> date:
    """The first day of the fiscal quarter that contains ``day``."""
    return fiscal_quarter_of(day, start_month).start


def _keys(model: type, facts: Iterable[tuple[Any, ...]], start_month: int) -> set[Key]:
    keys: set[Key] = set()
    for partner_id, *days in facts:
        if partner_id is None:
            continue
        if model is DealRegistration:
            submitted, closed = days
            if submitted is not None:
                keys.add((partner_id, quarter_start(timezone.localtime(submitted).date(), start_month)))
            if closed is not None:
                keys.add((partner_id, quarter_start(closed, start_month)))
        elif days[0] is not None:
            keys.add((partner_id, quarter_start(days[0], start_month)))
    return keys


# --- reading --------------------------------------------------------------------------------------


# The states known to be current, so a metric stays one statement: (database, tenant, fiscal year
# start month, time zone). Only positives are kept; a changed start month or time zone is another
# key, and a rebuild for it records the state (and this) in the transaction of the change.
_current: set[tuple[str, int, int, str]] = set()


def _state_key(tenant_id: int, start_month: int) -> tuple[str, int, int, str]:
    return (str(connection.settings_dict["NAME"]), tenant_id, start_month, zone_name())


def is_current(tenant: Tenant) -> bool:
    """True when the tenant's rollup was built for its fiscal year and the current time zone."""
    key = _state_key(tenant.pk, tenant.fiscal_year_start_month)
    if key in _current:
        return True
    found = PipelineRollupState.objects.filter(
        fiscal_year_start_month=tenant.fiscal_year_start_month, time_zone=zone_name()
    ).exists()
    if found:
        _current.add(key)
    return found


def serves(tenant: Tenant, period: FiscalPeriod) -> bool:
    """True when ``period``'s parts may be read from the rollup (switched on, current, and the
    period made of the tenant's fiscal quarters)."""
    return (
        _enabled.get()
        and getattr(settings, "PIPELINE_ROLLUPS", True)
        and period.start_month == tenant.fiscal_year_start_month
        and is_current(tenant)
    )


def parts_query(columns: Mapping[str, Any], counted: Any):
    """A ``Parts`` query over the rollup: per partner, the sums of ``columns`` (part name →
    column or expression) over the period's quarters, for partners where ``counted`` (the number
    of base rows behind the parts) is positive, exactly the partners the base query returns."""

    def query(tenant: Tenant, partner_ids: list[int] | None, period: FiscalPeriod) -> Any:
        totals = PipelineQuarterTotal.objects.filter(
            quarter_start__gte=period.start, quarter_start__lte=period.end
        )
        if partner_ids is not None:
            totals = totals.filter(partner_id__in=partner_ids)
        return (
            totals.order_by()
            .values("partner_id")
            .annotate(**{name: Sum(column) for name, column in columns.items()}, rolled_rows=Sum(counted))
            .filter(rolled_rows__gt=0)
        )

    return query


# --- computing from the base tables ---------------------------------------------------------------


def _compute(start_month: int, quarter: date, partner_ids: list[int] | None) -> dict[int, dict[str, Any]]:
    """The totals of one quarter for ``partner_ids`` (None: every partner) from the base tables."""
    period = fiscal_quarter_of(quarter, start_month)
    deals = DealRegistration.objects.all()
    revenue = RevenueRecord.objects.filter(partner__isnull=False)
    if partner_ids is not None:
        deals, revenue = deals.filter(partner_id__in=partner_ids), revenue.filter(partner_id__in=partner_ids)
    sourced, influenced = Q(partner_role=Role.SOURCED), Q(partner_role=Role.INFLUENCED)
    won, lost = Q(status=Status.WON), Q(status=Status.LOST)
    queries = [
        deals.filter(submitted_in(period))
        .exclude(status=Status.REJECTED)
        .order_by()
        .values("partner_id")
        .annotate(
            sourced_amount=Sum("amount_reporting", filter=sourced),
            sourced_count=Count("pk", filter=sourced),
            influenced_amount=Sum("amount_reporting", filter=influenced),
            influenced_count=Count("pk", filter=influenced),
        ),
        deals.filter(dated_in(period, "closed_on"), status__in=[Status.WON, Status.LOST])
        .order_by()
        .values("partner_id")
        .annotate(
            won_count=Count("pk", filter=won),
            won_amount=Sum("closed_amount_reporting", filter=won),
            lost_count=Count("pk", filter=lost),
        ),
        revenue.filter(dated_in(period, "period"), kind__in=sorted(RevenueRecord.BOOKING_KINDS))
        .order_by()
        .values("partner_id")
        .annotate(revenue_amount=Sum("amount_reporting"), revenue_count=Count("pk")),
    ]
    rows: dict[int, dict[str, Any]] = {}
    for query in queries:
        for row in query:
            partner_id = row.pop("partner_id")
            rows.setdefault(partner_id, dict.fromkeys(COLUMNS, 0)).update(
                {name: value or 0 for name, value in row.items()}
            )
    return rows


# --- maintaining ----------------------------------------------------------------------------------


def refresh(tenant_id: int, model: type, facts: Iterable[tuple[Any, ...]]) -> None:
    """Recompute, from the base tables, the rollup rows that rows with these ``facts`` (the
    ``FACTS`` fields of ``model``, before and after a write) count in. Called by every write."""
    facts = list(facts)
    if not facts:
        return
    tenant = get_current_tenant()
    if tenant is not None and tenant.pk == tenant_id:
        _refresh(tenant, model, facts)
        return
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_context(tenant):
        _refresh(tenant, model, facts)


def _refresh(tenant: Tenant, model: type, facts: list[tuple[Any, ...]]) -> None:
    if not is_current(tenant):
        return  # read from the base tables until rebuilt
    start_month = tenant.fiscal_year_start_month
    keys = sorted(_keys(model, facts, start_month))
    if not keys:
        return
    # Lock the rows (creating the missing ones), in one order so concurrent writers cannot deadlock;
    # the totals are computed by later statements, which see what a writer before us committed.
    PipelineQuarterTotal.objects.bulk_create(
        [PipelineQuarterTotal(partner_id=p, quarter_start=q) for p, q in keys], ignore_conflicts=True
    )
    partner_ids = sorted({p for p, _ in keys})
    quarters = sorted({q for _, q in keys})
    wanted = set(keys)
    rows = [
        row
        for row in PipelineQuarterTotal.objects.select_for_update()
        .filter(partner_id__in=partner_ids, quarter_start__in=quarters)
        .order_by("partner_id", "quarter_start")
        if (row.partner_id, row.quarter_start) in wanted
    ]
    computed = {
        quarter: _compute(start_month, quarter, sorted({p for p, q in keys if q == quarter}))
        for quarter in quarters
    }
    for row in rows:
        values = computed[row.quarter_start].get(row.partner_id, dict.fromkeys(COLUMNS, 0))
        for name in COLUMNS:
            setattr(row, name, values[name])
    PipelineQuarterTotal.objects.bulk_update(rows, list(COLUMNS))


def _quarters_with_data(start_month: int) -> list[date]:
    deals = DealRegistration.objects.aggregate(
        first=Min("submitted_at"),
        last=Max("submitted_at"),
        closed_first=Min("closed_on"),
        closed_last=Max("closed_on"),
    )
    revenue = RevenueRecord.objects.aggregate(first=Min("period"), last=Max("period"))
    days = [
        *(timezone.localtime(deals[k]).date() for k in ("first", "last") if deals[k]),
        *(deals[k] for k in ("closed_first", "closed_last") if deals[k]),
        *(revenue[k] for k in ("first", "last") if revenue[k]),
    ]
    if not days:
        return []
    quarter, last = fiscal_quarter_of(min(days), start_month), fiscal_quarter_of(max(days), start_month)
    quarters = [quarter.start]
    while quarter != last:
        quarter = quarter.next()
        quarters.append(quarter.start)
    return quarters


def rebuild(tenant: Tenant) -> int:
    """The tenant's rollup from scratch, for its fiscal year start month and the current time
    zone; returns the number of rows. Runs in one transaction, holding the state row."""
    with tenant_context(tenant):
        state = PipelineRollupState.objects.select_for_update().first()
        PipelineQuarterTotal.objects.all().delete()
        start_month = tenant.fiscal_year_start_month
        rows = [
            PipelineQuarterTotal(partner_id=partner_id, quarter_start=quarter, **values)
            for quarter in _quarters_with_data(start_month)
            for partner_id, values in _compute(start_month, quarter, None).items()
        ]
        PipelineQuarterTotal.objects.bulk_create(rows, batch_size=2000)
        state = state or PipelineRollupState()
        state.fiscal_year_start_month = start_month
        state.time_zone = zone_name()
        state.built_at = timezone.now()
        state.save()
        _current.add(_state_key(tenant.pk, start_month))
        return len(rows)


def start_empty(tenant: Tenant) -> None:
    """A new tenant has no rows: its (empty) rollup is current from the start."""
    with tenant_context(tenant):
        PipelineRollupState.objects.get_or_create(
            defaults={
                "fiscal_year_start_month": tenant.fiscal_year_start_month,
                "time_zone": zone_name(),
                "built_at": timezone.now(),
            }
        )
    _current.add(_state_key(tenant.pk, tenant.fiscal_year_start_month))


def totals_from_base_tables(tenant: Tenant) -> dict[Key, dict[str, Any]]:
    """Every non-empty rollup row as the base tables say it should be (for checks and tests)."""
    start_month = tenant.fiscal_year_start_month
    return {
        (partner_id, quarter): values
        for quarter in _quarters_with_data(start_month)
        for partner_id, values in _compute(start_month, quarter, None).items()
    }


def stored_totals() -> dict[Key, dict[str, Any]]:
    """The current tenant's non-empty rollup rows."""
    return {
        (row["partner_id"], row["quarter_start"]): {name: row[name] for name in COLUMNS}
        for row in PipelineQuarterTotal.objects.values("partner_id", "quarter_start", *COLUMNS)
        if any(row[name] for name in COLUMNS)
    }


# --- the hooks: every ORM write of a registration or a revenue record ------------------------------


def touches_totals(model: type, fields: Iterable[str] | None) -> bool:
    """True when writing ``fields`` (None: every field) of ``model`` may change a total."""
    return fields is None or not TOTALLED[model].isdisjoint(fields)


def facts_of(model: type, objs: Iterable[Any]) -> list[tuple[Any, ...]]:
    return [tuple(getattr(obj, name) for name in FACTS[model]) for obj in objs]


def stored_facts(model: Any, pks: Iterable[Any]) -> list[tuple[Any, ...]]:
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return []
    return list(model.objects.filter(pk__in=pks).values_list(*FACTS[model]))


def _before_save(
    sender: type, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if sender not in FACTS or raw or not touches_totals(sender, update_fields):
        return
    instance._rollup_before = stored_facts(sender, [instance.pk]) if instance.pk else []


def _after_save(
    sender: type, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if sender not in FACTS or raw or not touches_totals(sender, update_fields):
        return
    before = getattr(instance, "_rollup_before", [])
    refresh(instance.tenant_id, sender, [*before, *facts_of(sender, [instance])])


def _after_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender in FACTS:
        refresh(instance.tenant_id, sender, facts_of(sender, [instance]))


def _tenant_saved(
    sender: type, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if sender is not Tenant or raw:
        return
    if created:
        start_empty(instance)
        return
    with tenant_context(instance):
        state = PipelineRollupState.objects.first()
    if state is not None and state.fiscal_year_start_month != instance.fiscal_year_start_month:
        rebuild(instance)  # keyed by the old quarters: rebuilt for the new ones, in the same transaction


def connect() -> None:
    """Keep the rollup with every save and delete (the scoped manager's bulk writes call
    ``refresh`` themselves), and start new tenants with a current, empty rollup."""
    import sys

    from django.db.models.signals import post_delete, post_save, pre_save

    from . import models

    models.ROLLUP_HOOKS = sys.modules[__name__]

    pre_save.connect(_before_save, dispatch_uid="pipeline-rollup-before", weak=False)
    post_save.connect(_after_save, dispatch_uid="pipeline-rollup-after", weak=False)
    post_delete.connect(_after_delete, dispatch_uid="pipeline-rollup-delete", weak=False)
    post_save.connect(_tenant_saved, sender=Tenant, dispatch_uid="pipeline-rollup-tenant", weak=False)
