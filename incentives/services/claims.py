"""MDF claims with proof of performance (four-eyes, deadlines) and payouts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from pipeline import queries as pipeline_queries
from pipeline.models import DealRegistration
from prm import actors, audit
from prm.access import TenantAccess, require
from prm.permissions import Perm

from ..models import (
    Claim,
    ClaimRegistration,
    FundRequest,
    Payout,
    ProofDocument,
)
from ._common import (
    PROOF_MAX_FILES,
    PROOF_TYPES,
    ClaimStatus,
    RequestStatus,
    _locked_allocation,
    _locked_fund,
    _money,
    _save_ledgers,
    proof_max_bytes,
)
from .mdf import _release

# --- claims ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Proof:
    upload: UploadedFile
    name: str
    content_type: str
    size: int


def _human_size(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{max(1, round(size / 1024))} KB"


def validate_proof(files: Sequence[UploadedFile]) -> list[_Proof]:
    """Every file checked before anything is stored: allowed type (by extension and content)
    and size. The error names the file and what is wrong."""
    if len(files) > PROOF_MAX_FILES:
        raise ValidationError({"proof": f"Attach at most {PROOF_MAX_FILES} files per claim."})
    limit = proof_max_bytes()
    checked = []
    for upload in files:
        name = Path(upload.name or "file").name
        suffix = Path(name).suffix.lower()
        if suffix not in PROOF_TYPES:
            allowed = ", ".join(sorted({s.lstrip(".").upper() for s in PROOF_TYPES}))
            raise ValidationError({"proof": f"“{name}” is not an accepted file type; upload {allowed}."})
        content_type, signatures = PROOF_TYPES[suffix]
        size = upload.size or 0
        if size > limit:
            raise ValidationError(
                {"proof": f"“{name}” is {_human_size(size)}; files may be at most {_human_size(limit)}."}
            )
        if size == 0:
            raise ValidationError({"proof": f"“{name}” is empty."})
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(signature) for signature in signatures):
            raise ValidationError(
                {"proof": f"“{name}” does not contain what its name says ({suffix.lstrip('.').upper()})."}
            )
        if suffix == ".pdf":
            _check_pdf_structure(upload, name)
        checked.append(_Proof(upload=upload, name=name, content_type=content_type, size=size))
    return checked


# Parts of a PDF that make it act rather than show: scripts, launched programs, attached files.
ACTIVE_PDF_KEYS = ("/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/OpenAction", "/AA")


def _check_pdf_structure(upload: UploadedFile, name: str) -> None:
    """A PDF is read by a PDF reader, not trusted by its first bytes: it must open, have pages,
    and carry no scripts, launch actions or attached files."""
    refused = ValidationError(
        {
            "proof": f"“{name}” is not a plain PDF document (it cannot be read, or it carries scripts or attached files)."
        }
    )
    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        if len(reader.pages) == 0:
            raise refused
        root = reader.trailer["/Root"].get_object()
        assert isinstance(root, DictionaryObject)
        names = root.get("/Names")
        names = names.get_object() if names is not None else None
        active = [key for key in ACTIVE_PDF_KEYS if key in root or (names is not None and key in names)]
        active += [key for page in reader.pages for key in ("/AA",) if key in page]
    except ValidationError:
        raise
    except Exception:  # any parse failure: not a PDF we will store
        raise refused from None
    finally:
        upload.seek(0)
    if active:
        raise refused


def _store_proof(access: TenantAccess, claim: Claim, proofs: Sequence[_Proof]) -> None:
    """Store the checked files (last, after every other check passed); on any failure the
    files stored so far are removed again, so a refused claim leaves nothing behind."""
    stored = []
    try:
        for proof in proofs:
            document = ProofDocument(
                claim=claim,
                original_name=proof.name[:255],
                content_type=proof.content_type,
                size=proof.size,
                **actors.by(access, "uploaded_by"),
            )
            document.assign_tenant()
            document.file.save(proof.name, proof.upload, save=False)
            stored.append(document.file)
            document.save()
    except Exception:
        for file in stored:
            file.storage.delete(file.name or "")
        raise


CLAIM_FIELDS = ["actual_cost", "amount", "leads", "pipeline_sourced", "notes"]


@transaction.atomic
def claim_submit(
    *,
    access: TenantAccess,
    request: FundRequest,
    fields: Mapping[str, Any],
    files: Sequence[UploadedFile] = (),
    registration_ids: Sequence[int] = (),
) -> Claim:
    """Claim an approved request after the activity (or resubmit a rejected claim), by the fund's
    claim deadline, with proof of performance. Files are validated before anything is stored."""
    _require_may_claim(access, request)
    proofs = validate_proof(files)
    unknown = set(fields) - set(CLAIM_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    request, existing = _claimable(request)
    values = dict(fields)
    actual, amount = _claim_amounts(values, request)
    if not proofs and (existing is None or not existing.documents.exists()):
        raise ValidationError({"proof": "Attach proof of performance (an invoice, photos or a report)."})
    registrations = _own_registrations(access, request, registration_ids)
    claim = existing or Claim(request=request, partner_id=request.partner_id)
    claim.actual_cost, claim.amount = actual, amount
    claim.leads = int(values.get("leads") or 0)
    claim.pipeline_sourced = _money(values.get("pipeline_sourced") or 0, "pipeline_sourced", positive=False)
    claim.notes = str(values.get("notes") or "").strip()
    claim.status, claim.submitted_at = ClaimStatus.SUBMITTED, timezone.now()
    actors.stamp(claim, "submitted_by", access)
    actors.clear(claim, "decided_by")
    claim.decided_at, claim.rejection_reason = None, ""
    claim.assign_tenant()
    claim.full_clean(exclude=["request"])
    claim.save()
    if registrations:
        ClaimRegistration.objects.filter(claim=claim).delete()
        ClaimRegistration.objects.bulk_create(
            [ClaimRegistration(claim=claim, registration=r) for r in registrations]
        )
    _store_proof(access, claim, proofs)
    audit.record(
        access=access,
        verb="mdf.claim_resubmitted" if existing else "mdf.claim_submitted",
        target=claim,
        partner_id=claim.partner_id,
        after={"amount": str(amount), "files": len(proofs)},
    )
    return claim


def _require_may_claim(access: TenantAccess, request: FundRequest) -> None:
    """The partner claims its own requests from the portal; a manager may claim on its behalf."""
    if access.is_partner:
        require(access, Perm.USE_PORTAL)
        if request.partner_id != access.partner_id:
            raise PermissionDenied
    else:
        require(access, Perm.DECIDE_MDF_REQUESTS)


def _claimable(request: FundRequest) -> tuple[FundRequest, Claim | None]:
    """The request (locked) if it can be claimed now, with its earlier claim if that was rejected."""
    request = FundRequest.objects.select_for_update().select_related("allocation__fund").get(pk=request.pk)
    fund = request.allocation.fund
    if request.status != RequestStatus.APPROVED:
        raise ValidationError(
            f"Only approved requests can be claimed; this one is {request.get_status_display().lower()}."
        )
    if timezone.localdate() > fund.claim_deadline:
        raise ValidationError(f"The claim deadline for {fund} was {fund.claim_deadline:%d %b %Y}.")
    existing = Claim.objects.select_for_update().filter(request=request).first()
    if existing is not None and existing.status != ClaimStatus.REJECTED:
        raise ValidationError(f"This request has a claim already ({existing.get_status_display().lower()}).")
    return request, existing


def _claim_amounts(values: Mapping[str, Any], request: FundRequest) -> tuple[Decimal, Decimal]:
    """What the activity cost and what is claimed: at most the approved amount and the cost."""
    actual = _money(values.get("actual_cost"), "actual_cost")
    amount = _money(values.get("amount") or min(actual, request.approved_amount), "amount")
    if amount > request.approved_amount:
        raise ValidationError({"amount": f"Claim at most the approved {request.approved_amount:,.2f}."})
    if amount > actual:
        raise ValidationError({"amount": "Claim at most what the activity actually cost."})
    return actual, amount


def _own_registrations(
    access: TenantAccess, request: FundRequest, registration_ids: Sequence[int]
) -> list[DealRegistration]:
    """The deal registrations the claim links, all of the requesting partner (pipeline's query)."""
    registrations = list(
        pipeline_queries.registrations(access).filter(pk__in=registration_ids, partner_id=request.partner_id)
    )
    if len(registrations) != len(set(registration_ids)):
        raise ValidationError({"registrations": "Link only your own company's deal registrations."})
    return registrations


def _four_eyes(access: TenantAccess, claim: Claim) -> None:
    user = actors.require_person(
        access,
        "Claims are decided by a person of finance, not by an API key: the four-eyes rule compares people.",
    )
    request = claim.request
    if user.pk in {request.requested_by_id, request.decided_by_id, claim.submitted_by_id}:
        raise PermissionDenied(
            "Four-eyes rule: you requested or approved this activity, so someone else in finance decides its claim."
        )


@transaction.atomic
def claim_approve(*, access: TenantAccess, claim: Claim, amount: Any = None) -> Claim:
    """Finance approves a claim (in full or less): the amount becomes *claimed*; what the
    request committed beyond it returns to the partner's allocation."""
    require(access, Perm.APPROVE_MONEY)
    claim = Claim.objects.select_related("request__allocation").get(pk=claim.pk)
    _four_eyes(access, claim)
    fund = _locked_fund(claim.request.allocation.fund_id)
    allocation = _locked_allocation(claim.request.allocation_id)
    request = FundRequest.objects.select_for_update().get(pk=claim.request_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.SUBMITTED:
        raise ValidationError(f"This claim is {claim.get_status_display().lower()} already.")
    value = claim.amount if amount in (None, "") else _money(amount, "amount")
    if value > claim.amount:
        raise ValidationError({"amount": f"Approve at most the {claim.amount:,.2f} claimed."})
    _release(fund, allocation, request.approved_amount - value)
    allocation.claimed += value
    fund.claimed += value
    _save_ledgers(fund, allocation)
    claim.status, claim.approved_amount = ClaimStatus.APPROVED, value
    claim.decided_at = timezone.now()
    claim.save(
        update_fields=[
            "status",
            "approved_amount",
            *actors.stamp(claim, "decided_by", access),
            "decided_at",
            "updated_at",
        ]
    )
    request.status = RequestStatus.SETTLED
    request.save(update_fields=["status", "updated_at"])
    audit.record(
        access=access,
        verb="mdf.claim_approved",
        target=claim,
        partner_id=claim.partner_id,
        after={"approved_amount": str(value)},
    )
    return claim


@transaction.atomic
def claim_reject(*, access: TenantAccess, claim: Claim, reason: str) -> Claim:
    """Finance turns a claim down with a reason; the partner may correct and resubmit it until
    the claim deadline. The commitment stays until then."""
    require(access, Perm.APPROVE_MONEY)
    claim = Claim.objects.select_related("request").get(pk=claim.pk)
    _four_eyes(access, claim)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the claim is rejected; the partner sees it."})
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.SUBMITTED:
        raise ValidationError(f"This claim is {claim.get_status_display().lower()} already.")
    claim.status, claim.rejection_reason = ClaimStatus.REJECTED, reason.strip()
    claim.decided_at = timezone.now()
    claim.save(
        update_fields=[
            "status",
            "rejection_reason",
            *actors.stamp(claim, "decided_by", access),
            "decided_at",
            "updated_at",
        ]
    )
    audit.record(
        access=access,
        verb="mdf.claim_rejected",
        target=claim,
        partner_id=claim.partner_id,
        after={"reason": claim.rejection_reason},
    )
    return claim


# --- payouts -----------------------------------------------------------------------------------


@transaction.atomic
def payout_record(
    *, access: TenantAccess, claim: Claim, reference: str, paid_on: date, amount: Any = None
) -> Payout:
    """Record money sent for an approved claim (by default what is outstanding). A claim is
    never paid beyond its approved amount, and a payment reference is used once."""
    require(access, Perm.APPROVE_MONEY)
    claim = Claim.objects.select_related("request__allocation").get(pk=claim.pk)
    fund = _locked_fund(claim.request.allocation.fund_id)
    allocation = _locked_allocation(claim.request.allocation_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status not in (ClaimStatus.APPROVED,):
        raise ValidationError(
            "This claim is paid in full already."
            if claim.status == ClaimStatus.PAID
            else "Only approved claims can be paid."
        )
    value = claim.outstanding if amount in (None, "") else _money(amount, "amount")
    if value > claim.outstanding:
        raise ValidationError({"amount": f"Only {claim.outstanding:,.2f} of this claim is unpaid."})
    reference = reference.strip()
    if not reference:
        raise ValidationError({"reference": "Enter the payment reference from the accounts-payable system."})
    if Payout.objects.filter(reference=reference).exists():
        raise ValidationError({"reference": f"The reference {reference} is recorded already."})
    payout = Payout(
        claim=claim,
        partner_id=claim.partner_id,
        amount=value,
        reference=reference,
        paid_on=paid_on,
        **actors.by(access, "recorded_by"),
    )
    payout.assign_tenant()
    payout.full_clean(validate_constraints=False)
    payout.save()
    allocation.paid += value
    fund.paid += value
    _save_ledgers(fund, allocation)
    claim.paid_amount += value
    if claim.paid_amount == claim.approved_amount:
        claim.status = ClaimStatus.PAID
    claim.save(update_fields=["paid_amount", "status", "updated_at"])
    audit.record(
        access=access,
        verb="mdf.payout_recorded",
        target=payout,
        partner_id=claim.partner_id,
        after={"amount": str(value), "reference": reference},
    )
    return payout
