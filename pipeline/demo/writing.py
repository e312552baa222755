"""Writing the drafted registrations in bulk: conflict flags and links both ways, status history,
and timestamps backdated to when things happened."""

from __future__ import annotations

from ..models import DealConflict, DealRegistration, DealStatusChange
from .world import World, is_open


def write_registrations(world: World, vendor_accounts: set[int]) -> None:
    """Save every draft with its status changes and conflict links; an open registration on an
    account with an open vendor opportunity is flagged too."""
    drafts = world.drafts
    for draft in drafts:
        reg = draft.registration
        if draft.conflicts_with:
            reg.has_conflict = True
            for other in draft.conflicts_with:
                other.registration.has_conflict = True
        if is_open(world, draft) and reg.account_id in vendor_accounts:
            reg.has_conflict = True
    registrations = DealRegistration.objects.bulk_create([d.registration for d in drafts], batch_size=500)
    for draft in drafts:  # backdate: created when submitted, updated at the last move
        draft.registration.created_at = draft.registration.submitted_at
        draft.registration.updated_at = max(
            [m[2] for m in draft.moves]
            + [draft.registration.extension_requested_at or draft.registration.submitted_at]
        )
    DealRegistration.objects.bulk_update(registrations, ["created_at", "updated_at"], batch_size=500)
    _write_status_changes(world)
    links = []
    for draft in drafts:
        for other in draft.conflicts_with:
            links += [
                DealConflict(registration=draft.registration, other=other.registration, reason="domain"),
                DealConflict(registration=other.registration, other=draft.registration, reason="domain"),
            ]
    DealConflict.objects.bulk_create(links)


def _write_status_changes(world: World) -> None:
    changes = []
    for draft in world.drafts:
        for before, after, when, by, reason in draft.moves:
            change = DealStatusChange(
                registration=draft.registration,
                from_status=before,
                to_status=after,
                reason=reason,
                changed_by=by,
            )
            change.created_at = when
            changes.append(change)
    stamps = [c.created_at for c in changes]
    changes = DealStatusChange.objects.bulk_create(changes, batch_size=500)
    for change, when in zip(changes, stamps, strict=True):
        change.created_at = change.updated_at = when
    DealStatusChange.objects.bulk_update(changes, ["created_at", "updated_at"], batch_size=500)
