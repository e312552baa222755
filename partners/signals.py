"""Signals ``partners`` sends for the apps above it, which connect to them in their ``ready``
(an app may not import the apps above it: tiering listens, partners and jbp never import it)."""

from __future__ import annotations

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
