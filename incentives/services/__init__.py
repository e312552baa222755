"""What can happen to incentive money. Every write is one use case here: one transaction, a role
check, full validation with errors naming the field, and an audit event.

The MDF ledger (budget ≥ allocated ≥ committed ≥ claimed ≥ paid, per fund and per partner) is
changed only under row locks, always taken in the same order — fund, then allocation, then the
request or claim — so concurrent approvals queue on the fund row and each sees the balance the
previous one left. Check constraints in the database back the same invariants.
"""

from ._common import (
    JBP_MDF_COMMITMENT,
    JBP_REVENUE_ATTAINMENT,
    PROOF_MAX_FILES,
    PROOF_TYPES,
    STAGE_PROBABILITY,
    current_quarter,
    proof_max_bytes,
)
from .allocation_report import FIT_RULE, ORDER_RULE, AllocationReport
from .claims import claim_approve, claim_reject, claim_submit, payout_record, validate_proof
from .mdf import (
    allocation_set,
    allocations_apply_tier_rule,
    allocations_from_jbp,
    fund_create,
    fund_request_approve,
    fund_request_reject,
    fund_request_submit,
    fund_requests_expire,
    fund_update,
)
from .rebates import (
    open_pipeline_weighted,
    program_bands,
    rebate_accruals_by_schedule,
    rebate_accruals_compute,
    rebate_accruals_monthly,
    rebate_calculate,
    rebate_partners,
    rebate_program_create,
    rebate_statement_approve,
    rebate_statement_pay,
    rebate_statements_close,
)

__all__ = [
    "FIT_RULE",
    "JBP_MDF_COMMITMENT",
    "JBP_REVENUE_ATTAINMENT",
    "ORDER_RULE",
    "PROOF_MAX_FILES",
    "PROOF_TYPES",
    "STAGE_PROBABILITY",
    "AllocationReport",
    "allocation_set",
    "allocations_apply_tier_rule",
    "allocations_from_jbp",
    "claim_approve",
    "claim_reject",
    "claim_submit",
    "current_quarter",
    "fund_create",
    "fund_request_approve",
    "fund_request_reject",
    "fund_request_submit",
    "fund_requests_expire",
    "fund_update",
    "open_pipeline_weighted",
    "payout_record",
    "program_bands",
    "proof_max_bytes",
    "rebate_accruals_by_schedule",
    "rebate_accruals_compute",
    "rebate_accruals_monthly",
    "rebate_calculate",
    "rebate_partners",
    "rebate_program_create",
    "rebate_statement_approve",
    "rebate_statement_pay",
    "rebate_statements_close",
    "validate_proof",
]
