"""Who may receive an incentive: one rule for MDF funds and rebate programs.

A partner qualifies for a fund (or a rebate program) when

- it is active and not archived,
- its tier carries the tier's flag (``Tier.mdf_eligible`` for funds, ``Tier.rebate_eligible`` for
  rebate programs) — an untiered partner qualifies for neither, and
- the fund (program) lists no tiers, or lists its tier.

A fund or program may only list tiers that carry the flag. Every place that decides eligibility
(allocations, accruals and forecasts, statements, the portal, the API, the forms) asks here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from partners.models import Partner, Tier
from tiering.queries import tier_at

Flag = Literal["mdf_eligible", "rebate_eligible"]
MDF: Flag = "mdf_eligible"
REBATE: Flag = "rebate_eligible"

_WHAT = {MDF: "MDF", REBATE: "rebates"}

RULE = {
    MDF: "A partner can be allocated MDF when it is active, its tier is MDF eligible and the fund "
    "lists no tiers or lists its tier.",
    REBATE: "A partner accrues a rebate when it is active, its tier is rebate eligible and the program "
    "lists no tiers or lists its tier.",
}


def listed_tier_ids(owner) -> list[int]:
    """The tiers a fund or rebate program lists (empty: every tier with the flag)."""
    return [link.tier_id for link in owner.tier_links.all()]


def tier_qualifies(flag: Flag, tier: Tier | None, listed: Iterable[int]) -> bool:
    listed = list(listed)
    return tier is not None and bool(getattr(tier, flag)) and (not listed or tier.pk in listed)


def partner_qualifies(flag: Flag, partner: Partner, listed: Iterable[int]) -> bool:
    active = partner.status == Partner.Status.ACTIVE and partner.archived_at is None
    return active and tier_qualifies(flag, partner.tier, listed)


def why_not(flag: Flag, partner: Partner, listed: Iterable[int]) -> str:
    """Why ``partner`` does not qualify, in words ("" when it does)."""
    if partner.status != Partner.Status.ACTIVE or partner.archived_at is not None:
        return f"{partner.name} is not an active partner."
    if partner.tier is None:
        return f"{partner.name} has no tier, and only tiers eligible for {_WHAT[flag]} qualify."
    if not getattr(partner.tier, flag):
        return f"{partner.name}'s tier {partner.tier.name} is not eligible for {_WHAT[flag]}."
    if not tier_qualifies(flag, partner.tier, listed):
        return f"{partner.name}'s tier {partner.tier.name} is not one this {_owner(flag)} lists."
    return ""


def qualifying_partners(flag: Flag, listed: Iterable[int], as_of: date | None = None) -> QuerySet[Partner]:
    """Every partner that qualifies, as one queryset (tier fetched with it). With ``as_of`` (a
    day before today, e.g. the end of a finished rebate period) the tier is the one the partner
    held at the end of that day (tier history), so a later promotion or demotion does not change
    who earned a finished period's rebate."""
    listed = list(listed)
    partners = Partner.objects.filter(status=Partner.Status.ACTIVE, archived_at__isnull=True)
    if as_of is None or as_of >= timezone.localdate():
        condition = Q(**{f"tier__{flag}": True})
        if listed:
            condition &= Q(tier_id__in=listed)
        return partners.filter(condition).select_related("tier")
    tiers = Tier.objects.filter(**{flag: True})
    if listed:
        tiers = tiers.filter(pk__in=listed)
    return (
        partners.annotate(tier_then=tier_at(as_of))
        .filter(tier_then__in=list(tiers.values_list("pk", flat=True)))
        .select_related("tier")
    )


def eligible_tiers(flag: Flag, tiers: QuerySet[Tier]) -> QuerySet[Tier]:
    """The tiers a fund (program) may list: those carrying the flag."""
    return tiers.filter(**{flag: True})


def check_listed_tiers(flag: Flag, tier_ids: Iterable[int], field: str | None = "eligible_tiers") -> None:
    """Refuse tiers without the flag, naming them (and the field, when given)."""
    refused = list(Tier.objects.filter(pk__in=list(tier_ids), **{flag: False}).order_by("rank"))
    if refused:
        names = ", ".join(t.name for t in refused)
        message = (
            f"{names} {'is' if len(refused) == 1 else 'are'} not eligible for {_WHAT[flag]} "
            f"(Tiering → Tiers); a {_owner(flag)} may only list tiers that are."
        )
        raise ValidationError({field: message} if field else message)


def _owner(flag: Flag) -> str:
    return "fund" if flag == MDF else "program"
