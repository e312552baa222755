"""The deal registration desk, end-customer accounts and revenue records.

Every write is one use case: one transaction, a role check against the caller's access, full
validation, a status-history row for registrations and an audit event. Partners are told of
every decision by e-mail (sent from a Celery task after commit).
"""

from .accounts import (
    VENDOR_OPPORTUNITY_FIELDS,
    account_find_or_create,
    account_match,
    account_merge,
    account_precheck,
    surviving_account,
    vendor_opportunity_create,
    vendor_opportunity_update,
)
from .common import (
    DEFAULTS,
    PROGRAM_DEFAULT,
    REGISTRATION_FIELDS,
    desk_settings,
    protection_term,
)
from .registrations import (
    registration_approve,
    registration_assign_rep,
    registration_close,
    registration_extend,
    registration_reject,
    registration_request_extension,
    registration_submit,
    registrations_escalate_overdue,
    registrations_expire,
)
from .revenue import (
    build_revenue_record,
    revenue_record_create,
    revenue_records_bulk_create,
)

__all__ = [
    "DEFAULTS",
    "PROGRAM_DEFAULT",
    "REGISTRATION_FIELDS",
    "VENDOR_OPPORTUNITY_FIELDS",
    "account_find_or_create",
    "account_match",
    "account_merge",
    "account_precheck",
    "build_revenue_record",
    "desk_settings",
    "protection_term",
    "registration_approve",
    "registration_assign_rep",
    "registration_close",
    "registration_extend",
    "registration_reject",
    "registration_request_extension",
    "registration_submit",
    "registrations_escalate_overdue",
    "registrations_expire",
    "revenue_record_create",
    "revenue_records_bulk_create",
    "surviving_account",
    "vendor_opportunity_create",
    "vendor_opportunity_update",
]
