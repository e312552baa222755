"""The CSV files an import reads: columns per kind, the downloadable template, and reading a
whole file (size, encoding, header, row count) with messages that say what to fix."""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices

from prm.access import TenantAccess
from prm.csvfile import MAX_BYTES as MAX_BYTES
from prm.csvfile import MAX_ROWS as MAX_ROWS
from prm.csvfile import ImportFileError, SafeWriter, decode_upload, read_table

from .. import services
from ..models import ImportJob, Partner, PartnerAttribute, Tier
from ..vocab import AgreementType, CompanySize, ContactRole

# --- columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    example: str = ""
    required: bool = False
    choices: type[TextChoices] | None = None
    multi: bool = False


def _attribute_column(name: str, help: str, example: str) -> Column:
    vocabulary = PartnerAttribute.VOCABULARIES[services.ATTRIBUTE_FIELDS[name]]
    return Column(name, help, example, choices=vocabulary, multi=True)


PARTNER_COLUMNS: tuple[Column, ...] = (
    Column("name", "Company name.", "Northwind Traders", required=True),
    Column(
        "domain",
        "Primary e-mail domain. Rows are matched to existing partners on it: a known domain "
        "updates that partner, a new one creates a partner.",
        "northwind.example",
        required=True,
    ),
    Column("legal_name", "Registered company name.", "Northwind Traders Ltd"),
    Column("website", "Full address with https://.", "https://www.northwind.example"),
    Column("country", "Headquarters: two-letter ISO code (DE, US) or English name.", "GB"),
    Column("company_size", "Number of employees.", "51-200", choices=CompanySize),
    Column("description", "What the company does.", "Cloud reseller for mid-sized retailers."),
    Column(
        "status",
        "Lifecycle status of a new partner (prospect if empty). For an existing partner a different "
        "status is a lifecycle move, recorded with the file name as the reason; empty keeps it.",
        "onboarding",
        choices=Partner.Status,
    ),
    Column("join_date", "Date the partner joined the program, YYYY-MM-DD.", "2026-01-15"),
    Column("tier", "Tier name, as on the program's tiers.", ""),
    Column("partner_manager", "E-mail of the staff member who manages the partner.", ""),
    Column("vendor_sponsor", "E-mail of the vendor's executive sponsor (a staff member).", ""),
    Column("agreement_type", "Program terms (standard if empty).", "standard", choices=AgreementType),
    Column("agreement_start", "YYYY-MM-DD.", "2026-01-15"),
    Column("agreement_end", "YYYY-MM-DD, not before the start.", "2027-01-14"),
    _attribute_column("partner_types", "Partner types.", "reseller;msp"),
    _attribute_column("motions", "Motions.", "co_sell;implement"),
    _attribute_column("regions", "Regions covered.", "uk_ireland;benelux_france"),
    _attribute_column("verticals", "Verticals served.", "retail"),
    _attribute_column("segments", "Customer segments.", "mid_market"),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column(
        "partner_domain",
        "The partner's primary domain (the partner must exist). Contacts are matched on this "
        "domain plus their e-mail address.",
        "northwind.example",
        required=True,
    ),
    Column("email", "The contact's e-mail address.", "jane.doe@northwind.example", required=True),
    Column("name", "Full name.", "Jane Doe", required=True),
    Column("phone", "Phone number, as it should be dialled.", "+44 20 7946 0000"),
    Column("title", "Job title.", "Head of Alliances"),
    Column("role", "Role towards the program (primary if empty).", "sales", choices=ContactRole),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportJob.Kind.PARTNERS: PARTNER_COLUMNS,
    ImportJob.Kind.CONTACTS: CONTACT_COLUMNS,
}


def template_csv(kind: str, access: TenantAccess) -> str:
    """The header and one example row (valid in this tenant) of the CSV an import expects."""
    columns = COLUMNS[kind]
    example = {c.name: c.example for c in columns}
    if kind == ImportJob.Kind.PARTNERS:
        tier = Tier.objects.order_by("-rank").first()
        example["tier"] = tier.name if tier else ""
        example["partner_manager"] = access.user.email if access.user is not None else ""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    writer.writerow([example[c.name] for c in columns])
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read it as UTF-8


def column_docs(kind: str) -> list[dict[str, Any]]:
    """What the upload page says about each column of ``kind``."""
    docs = []
    for column in COLUMNS[kind]:
        allowed = list(column.choices.values) if column.choices is not None else []
        if column.name == "tier":
            allowed = list(Tier.objects.order_by("rank").values_list("name", flat=True))
        docs.append({"column": column, "allowed": allowed})
    return docs


# --- reading the file ------------------------------------------------------------------------


@dataclass
class ParsedFile:
    kind: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number as a spreadsheet shows it, values)


def read_csv(kind: str, data: bytes) -> ParsedFile:
    """Decode and check the whole file: UTF-8, a known header, 1 to MAX_ROWS rows.

    Raises ``ImportFileError`` with a message that says what to fix.
    """
    columns: list[str] = []

    def check(header: list[str], records: list[list[str]]) -> list[str]:
        columns.extend(_check_header(kind, header, records))
        return columns

    rows = read_table(decode_upload(data), check)
    return ParsedFile(kind=kind, columns=[c for c in columns if c], rows=rows)


def _check_header(kind: str, header: list[str], records: list[list[str]]) -> list[str]:
    """Column names in file order ("" for an unnamed, empty column that is ignored)."""
    known = [c.name for c in COLUMNS[kind]]
    names = [h.strip().lower() for h in header]
    if len(names) == 1 and ";" in names[0]:
        raise ImportFileError(
            "The columns are separated by semicolons. Use commas between columns (save as “CSV UTF-8”); "
            "semicolons separate the values inside one cell."
        )
    problems = []
    for position, name in enumerate(names):
        if not name and any(position < len(r) and r[position].strip() for r in records):
            problems.append(f"column {position + 1} has values but no name in the header")
    unknown = [n for n in names if n and n not in known]
    if unknown:
        described = []
        for name in unknown:
            close = difflib.get_close_matches(name, [k for k in known if k not in names], n=1, cutoff=0.7)
            described.append(f"{name} (did you mean {close[0]}?)" if close else name)
        problems.append("unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(described))
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in names]
    if missing:
        problems.append("missing required column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        problems.append("repeated column" + ("s " if len(duplicated) > 1 else " ") + ", ".join(duplicated))
    if problems:
        other = "contacts" if kind == ImportJob.Kind.PARTNERS else "partners"
        hint = ""
        if unknown and all(n in {c.name for c in COLUMNS[other]} for n in unknown):
            hint = f" This looks like a {other} file: choose “{other.capitalize()}” above."
        raise ImportFileError(
            f"The header does not fit a {kind} import: {'; '.join(problems)}. "
            f"Expected columns: {', '.join(known)}.{hint}"
        )
    return names
