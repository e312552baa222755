"""Signals ``partners`` sends for the apps above it, which connect to them in their ``ready``
(an app may not import the apps above it: tiering listens, partners and jbp never import it)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

from prm.tenancy import require_current_tenant

# A fact that a partner's tier rules read has changed: a certification earned, corrected, expired
# or removed, a joint business plan signed or withdrawn, a manual rating changed. Sent once the
# change has committed, with ``tenant_id``, ``partner_id`` and ``why`` (a short sentence).
partner_standing_changed = Signal()


def standing_changed(partner_id: int, why: str) -> None:
    """Announce, on commit of the current transaction, that ``partner_id``'s standing changed.

    Robust: a listener that fails is logged, and never undoes or fails the change that committed."""
    tenant_id = require_current_tenant().pk

    def send() -> None:
        partner_standing_changed.send(
            sender=standing_changed, tenant_id=tenant_id, partner_id=partner_id, why=why
        )

    transaction.on_commit(send, robust=True)


# A partner's tier was changed directly (on its profile, by the API or an import) rather than
# through a tier proposal (the tier a partner is added with starts its history): sent inside the transaction, with ``partner``, ``from_tier_id``, ``user`` (or
# None) and ``reason``, so tiering records it in the tier history with the change.
tier_set = Signal()


def tier_was_set(partner: Any, from_tier_id: int | None, user: Any, reason: str) -> None:
    """Announce a direct tier change of ``partner`` (nothing when the tier did not change)."""
    if partner.tier_id != from_tier_id:
        tier_set.send(
            sender=tier_was_set, partner=partner, from_tier_id=from_tier_id, user=user, reason=reason
        )
