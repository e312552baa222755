"""Every write to a joint business plan: one function per use case, in a transaction, checking
who may do it, validating, and recording the audit event.

Workflow: the vendor drafts (``plan_create``, edits) → shares (``plan_share``) → the partner
admin edits its own investments, comments and approves (``plan_partner_approve``) → a vendor
executive signs (``plan_sign_off``: the plan becomes active, version 1 is frozen) → closed after
the fiscal year (``plan_close``). Changing an active plan is an amendment: every change needs a
change summary and freezes a new version. Changing a partner-approved plan sends it back to the
partner for approval.

By sub-domain: the plan and its workflow (plans), its targets, investments and activities
(parts), versions and the change protocol (versions), reviews and action items (reviews), PDF
exports (exports) and the daily reminders (reminders).
"""

from ._common import ACTIVITY_FIELDS, INVESTMENT_FIELDS, KIND_METRIC, PLAN_FIELDS, TARGET_FIELDS
from .exports import export_render, export_request
from .parts import activity_save, investment_remove, investment_save, target_remove, target_save
from .plans import (
    comment_add,
    contacts_of,
    plan_close,
    plan_create,
    plan_partner_approve,
    plan_share,
    plan_sign_off,
    plan_supersede,
    plan_unshare,
    plan_update,
)
from .reminders import REVIEW_NOTICE_DAYS, Reminder, reminders_due, reminders_mark_sent
from .reviews import NewActionItem, action_item_add, action_item_complete, review_record, review_snapshot
from .versions import Difference, plan_content, versions_compare

__all__ = [
    "ACTIVITY_FIELDS",
    "INVESTMENT_FIELDS",
    "KIND_METRIC",
    "PLAN_FIELDS",
    "REVIEW_NOTICE_DAYS",
    "TARGET_FIELDS",
    "Difference",
    "NewActionItem",
    "Reminder",
    "action_item_add",
    "action_item_complete",
    "activity_save",
    "comment_add",
    "contacts_of",
    "export_render",
    "export_request",
    "investment_remove",
    "investment_save",
    "plan_close",
    "plan_content",
    "plan_create",
    "plan_partner_approve",
    "plan_share",
    "plan_sign_off",
    "plan_supersede",
    "plan_unshare",
    "plan_update",
    "reminders_due",
    "reminders_mark_sent",
    "review_record",
    "review_snapshot",
    "target_remove",
    "target_save",
    "versions_compare",
]
