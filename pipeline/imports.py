"""CSV import of revenue records: read the file, check every row, preview, apply.

Synchronous (revenue rows are simple): the upload is read and every row checked with the
model validation the revenue service uses (including the conversion to the reporting
currency), partners and accounts being loaded by domain in a few queries for the whole file.
Applying re-checks the stored text and calls ``revenue_records_bulk_create`` for the rows kept.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partners.models import Partner
from prm import actors, audit, closing
from prm.access import TenantAccess, require
from prm.csvfile import MAX_BYTES as MAX_BYTES
from prm.csvfile import MAX_ROWS as MAX_ROWS
from prm.csvfile import ImportFileError, SafeWriter, decode_upload, read_table
from prm.domains import normalize_domain
from prm.permissions import Perm

from . import services
from .models import Account, RevenueImport, RevenueRecord

MAX_ROW_RESULTS = 500
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
# model field → the CSV column its errors are shown on
_FIELD_COLUMN = {"account": "account_domain", "partner": "partner_domain", "period": "month"}


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    example: str
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "account_domain",
        "The customer's domain. The account is matched on it; an unknown domain creates the account "
        "when account_name is given.",
        "globex.example",
        required=True,
    ),
    Column(
        "account_name",
        "Customer name, used only to create an account that does not exist yet.",
        "Globex Corporation",
    ),
    Column(
        "partner_domain",
        "The partner's primary domain (the partner must exist); empty for direct revenue.",
        "",
    ),
    Column("month", "The fiscal month, YYYY-MM.", "2026-01", required=True),
    Column("kind", "new, expansion, contraction, churn or renewal.", "new", required=True),
    Column("recurring", "yes (ARR) or no (a one-time booking); yes if empty.", "yes"),
    Column(
        "amount",
        "A positive amount, with a dot for decimals: 12000.50. The kind says which way ARR moves.",
        "12000",
        required=True,
    ),
    Column(
        "currency",
        "ISO code; the program's reporting currency if empty. Other currencies need an exchange rate.",
        "",
    ),
    Column("reference", "Invoice or contract reference.", "INV-1001"),
    Column(
        "adjustment_reason",
        "Only for a month inside a closed fiscal quarter, when the program books late entries as "
        "adjustments: why it comes late (the row is then booked in the first open quarter).",
        "",
    ),
)
KNOWN = [c.name for c in COLUMNS]


def template_csv(access: TenantAccess) -> str:
    """The header and one example row (valid in this tenant) of the CSV the import expects."""
    example = {c.name: c.example for c in COLUMNS}
    example["currency"] = access.tenant.currency
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\r\n")
    writer.writerow(KNOWN)
    writer.writerow([example[name] for name in KNOWN])
    return "\ufeff" + out.getvalue()


# --- reading the file ------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The uploaded bytes as text, or a message saying what to fix."""
    return decode_upload(data)


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, values by column) for every non-blank row."""
    return read_table(text, lambda header, records: _check_header(header))


def _check_header(header: list[str]) -> list[str]:
    names = [h.strip().lower() for h in header]
    if len(names) == 1 and ";" in names[0]:
        raise ImportFileError(
            "The columns are separated by semicolons. Use commas (save the sheet as “CSV UTF-8”)."
        )
    problems = []
    unknown = [n for n in names if n and n not in KNOWN]
    if unknown:
        described = []
        for name in unknown:
            close = difflib.get_close_matches(name, [k for k in KNOWN if k not in names], n=1, cutoff=0.7)
            described.append(f"{name} (did you mean {close[0]}?)" if close else name)
        problems.append("unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(described))
    missing = [c.name for c in COLUMNS if c.required and c.name not in names]
    if missing:
        problems.append("missing required column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        problems.append("repeated column" + ("s " if len(repeated) > 1 else " ") + ", ".join(repeated))
    if problems:
        raise ImportFileError(
            f"The header does not fit a revenue import: {'; '.join(problems)}. Expected columns: {', '.join(KNOWN)}."
        )
    return names


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class CheckedRow:
    row: int
    values: dict[str, str]
    errors: list[dict[str, str]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # for the service, once valid
    new_account: tuple[str, str] | None = None  # (name, domain) of an account to create

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, column: str, message: str) -> None:
        self.errors.append({"column": column, "message": message})

    def result(self) -> dict[str, Any]:
        """What the preview shows of this row (JSON)."""
        fields = self.fields
        return {
            "row": self.row,
            "ok": self.ok,
            "errors": self.errors,
            "account": self.values.get("account_domain", ""),
            "account_label": (
                self.new_account[0]
                if self.new_account
                else (str(fields["account"].name) if "account" in fields else "")
            ),
            "new_account": bool(self.new_account),
            "partner": fields["partner"].name
            if fields.get("partner")
            else (self.values.get("partner_domain") or "Direct"),
            "month": self.values.get("month", ""),
            "kind": self.values.get("kind", ""),
            "recurring": fields.get("recurring", True),
            "amount": self.values.get("amount", ""),
            "currency": fields.get("currency") or self.values.get("currency", ""),
            "amount_reporting": str(fields.get("amount_reporting", "")),
            "reference": self.values.get("reference", ""),
            "booked_month": str(fields["booked_period"])[:7] if fields.get("booked_period") else "",
        }


@dataclass
class _Lookups:
    """The partners and accounts a file names, loaded once for all its rows."""

    partners: dict[str, Partner]
    accounts: dict[str, Account]
    surviving: dict[int, Account] = field(default_factory=dict)

    def account(self, account: Account) -> Account:
        """A merged account's surviving account (looked up once per merged account)."""
        if account.merged_into_id is None:
            return account
        if account.pk not in self.surviving:
            self.surviving[account.pk] = services.surviving_account(account)
        return self.surviving[account.pk]


def check_rows(access: TenantAccess, rows: list[tuple[int, dict[str, str]]]) -> list[CheckedRow]:
    """Every row checked; partners and accounts are loaded for the whole file at once."""
    partner_domains = {normalize_domain(v.get("partner_domain", "")) for _, v in rows} - {""}
    account_domains = {normalize_domain(v.get("account_domain", "")) for _, v in rows} - {""}
    lookups = _Lookups(
        partners={p.domain: p for p in Partner.objects.filter(domain__in=partner_domains)},
        accounts={a.domain: a for a in Account.objects.filter(domain__in=account_domains)},
    )
    lock = closing.PeriodLock.of(access.tenant)
    checked = []
    for number, values in rows:
        row = CheckedRow(row=number, values=values)
        fields: dict[str, Any] = {}
        _check_account(row, values, lookups, fields)
        _check_partner(row, values, lookups, fields)
        _check_values(row, values, fields)
        _check_model_rules(access, row, fields, lock)
        row.fields = fields
        checked.append(row)
    return checked


def _check_account(
    row: CheckedRow, values: dict[str, str], lookups: _Lookups, fields: dict[str, Any]
) -> None:
    """The customer: an existing account by domain, or a new one when the row names it."""
    domain = normalize_domain(values.get("account_domain", ""))
    name = values.get("account_name", "").strip()
    if not domain:
        row.error("account_domain", "Give the customer's domain.")
    elif domain in lookups.accounts:
        fields["account"] = lookups.account(lookups.accounts[domain])
    elif name:
        candidate = Account(name=name, domain=domain)
        candidate.assign_tenant()
        try:
            candidate.full_clean(validate_constraints=False)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                row.error("account_name" if key == "name" else "account_domain", " ".join(messages))
        row.new_account = (name, domain)
    else:
        row.error("account_domain", f"No account has the domain {domain}. Add account_name to create it.")


def _check_partner(
    row: CheckedRow, values: dict[str, str], lookups: _Lookups, fields: dict[str, Any]
) -> None:
    """The partner by its domain; none for direct revenue."""
    partner_domain = normalize_domain(values.get("partner_domain", ""))
    if not partner_domain:
        fields["partner"] = None
    elif partner_domain in lookups.partners:
        fields["partner"] = lookups.partners[partner_domain]
    else:
        row.error(
            "partner_domain",
            f"No partner has the domain {partner_domain}. Leave it empty for direct revenue.",
        )


def _check_values(row: CheckedRow, values: dict[str, str], fields: dict[str, Any]) -> None:
    """Month, kind, recurring, amount, currency and reference as written in the file."""
    month = _MONTH.match(values.get("month", ""))
    if month and 1 <= int(month.group(2)) <= 12:
        fields["period"] = date(int(month.group(1)), int(month.group(2)), 1)
    else:
        row.error("month", "Write the month as YYYY-MM, e.g. 2026-01.")
    kind = values.get("kind", "").lower()
    if kind in RevenueRecord.Kind.values:
        fields["kind"] = kind
    else:
        row.error("kind", f"Write one of {', '.join(RevenueRecord.Kind.values)}.")
    recurring = values.get("recurring", "").lower()
    if recurring in _YES or not recurring:
        fields["recurring"] = True
    elif recurring in _NO:
        fields["recurring"] = False
    else:
        row.error("recurring", "Write yes or no.")
    try:
        fields["amount"] = Decimal(values.get("amount", "").replace(" ", ""))
        if not fields["amount"].is_finite():
            raise InvalidOperation
    except InvalidOperation:
        fields.pop("amount", None)
        row.error("amount", "Write a number, with a dot for decimals: 12000.50.")
    fields["currency"] = values.get("currency", "").upper()
    fields["reference"] = values.get("reference", "")
    fields["adjustment_reason"] = values.get("adjustment_reason", "").strip()


# Stand-ins for values a row lacks, so the model's other rules can still be checked.
_PLACEHOLDERS: dict[str, Any] = {
    "account": None,
    "period": date(2000, 1, 1),
    "kind": "new",
    "amount": Decimal("0"),
}


def _check_model_rules(
    access: TenantAccess, row: CheckedRow, fields: dict[str, Any], lock: closing.PeriodLock
) -> None:
    """The model's own rules and the closed quarters, as the service applies them; the reporting
    amount (and, for an adjustment, the month it is booked in) on success."""
    placeholders = {**_PLACEHOLDERS, "account": Account(name="-")}
    try:
        record = services.build_revenue_record(
            access, {**placeholders, **fields}, related_checked=True, lock=lock
        )
    except ValidationError as error:
        known = {e["column"] for e in row.errors}
        for key, messages in getattr(error, "message_dict", {"row": error.messages}).items():
            column = _FIELD_COLUMN.get(key, key)
            if column not in known:
                row.error(column, " ".join(messages))
    else:
        fields["currency"] = record.currency
        fields["amount_reporting"] = record.amount_reporting
        if record.original_period is not None:
            fields["booked_period"] = record.period


def summarise(checked: list[CheckedRow]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Counts over every row, and the rows kept for the page: errors first, up to MAX_ROW_RESULTS."""
    valid = [r for r in checked if r.ok]
    counts = {
        "total": len(checked),
        "valid": len(valid),
        "invalid": len(checked) - len(valid),
        "new_accounts": len({r.new_account[1] for r in valid if r.new_account}),
    }
    kept = [r for r in checked if not r.ok][:MAX_ROW_RESULTS]
    kept += valid[: MAX_ROW_RESULTS - len(kept)]
    return counts, [r.result() for r in sorted(kept, key=lambda r: r.row)]


# --- the import, previewed and applied ---------------------------------------------------------


def _require_import_rights(access: TenantAccess) -> None:
    require(access, Perm.MANAGE_PARTNERS)


def revenue_import_preview(*, access: TenantAccess, filename: str, data: bytes) -> RevenueImport:
    """Read and check an uploaded file; keep it with its preview. Raises ImportFileError."""
    _require_import_rights(access)
    text = decode(data)
    counts, results = summarise(check_rows(access, read_rows(text)))
    return RevenueImport.objects.create(
        filename=filename[:255] or "revenue.csv",
        content=text,
        counts=counts,
        row_results=results,
        **actors.by(access, "created_by"),
    )


@transaction.atomic
def revenue_import_apply(*, access: TenantAccess, revenue_import: RevenueImport, mode: str) -> RevenueImport:
    """Create the records of a previewed import, once. Re-checks the stored text first.

    ``all_or_nothing``: any invalid row refuses the whole file (nothing is created).
    ``valid_only``: the valid rows are created, the others skipped.
    """
    _require_import_rights(access)
    if mode not in RevenueImport.Mode.values:
        raise ValidationError({"mode": "Choose all rows or none, or only the valid rows."})
    current = RevenueImport.objects.select_for_update().get(pk=revenue_import.pk)
    if current.status == RevenueImport.Status.APPLIED:
        return current  # applying twice does nothing the second time
    checked = check_rows(access, read_rows(current.content))
    counts, results = summarise(checked)
    valid = [r for r in checked if r.ok]
    if mode == RevenueImport.Mode.ALL_OR_NOTHING and counts["invalid"]:
        raise ValidationError(
            f"Nothing was imported: {counts['invalid']} of {counts['total']} rows have errors. "
            "Fix them and upload the file again, or import only the valid rows."
        )
    if not valid:
        raise ValidationError("Nothing was imported: no row of this file is valid.")
    created_accounts: dict[str, Account] = {}
    service_rows: list[Mapping[str, Any]] = []
    for row in valid:
        fields = {k: v for k, v in row.fields.items() if k not in {"amount_reporting", "booked_period"}}
        if row.new_account:
            name, domain = row.new_account
            if domain not in created_accounts:
                created_accounts[domain], _ = services.account_find_or_create(name=name, domain=domain)
            fields["account"] = created_accounts[domain]
        service_rows.append(fields)
    created = services.revenue_records_bulk_create(access=access, rows=service_rows)
    counts.update(created=len(created), skipped=counts["invalid"], accounts_created=len(created_accounts))
    current.counts, current.row_results = counts, results
    current.mode, current.status, current.applied_at = mode, RevenueImport.Status.APPLIED, timezone.now()
    current.save()
    audit.record(
        access=access,
        verb="revenue.import_applied",
        target=current,
        after={"file": current.filename, "mode": mode, **counts},
    )
    return current
