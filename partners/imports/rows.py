"""One pass over a file's rows: parse each row, run it through the partner services in its own
savepoint, and report what it did (create, update, unchanged) or why it was refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet, TextChoices
from django_countries import countries

from prm.access import TenantAccess
from prm.domains import normalize_domain
from prm.models import User

from .. import queries, services
from ..models import Contact, ImportJob, Partner, Tier
from ..vocab import AgreementType, CompanySize, ContactRole
from .csvfile import ParsedFile, read_csv

STORED_ERRORS = 500  # row results kept for the page: every error up to this many…
STORED_OTHERS = 250  # …and the first rows that pass
QUERY_CHUNK = 500  # ids or keys per IN (…) lookup
_PEOPLE_COLUMNS = ("partner_manager", "vendor_sponsor")
_DATE_COLUMNS = ("join_date", "agreement_start", "agreement_end")


# --- parsing one row ---------------------------------------------------------------------------


@dataclass
class Row:
    number: int
    key: str
    label: str
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    status: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    target: Model | None = None  # the partner (contacts: whose contact) the row is matched to
    skip_service: bool = False  # refused already; the services could add nothing useful
    match_key: str | None = None  # what may appear only once per file (None: nothing to match on)

    def refuse(self, column: str, message: str) -> None:
        self.errors.append({"column": column, "message": message})


def _choice(row: Row, column: str, value: str, choices: type[TextChoices]) -> str | None:
    wanted = value.strip().lower()
    for key, label in choices.choices:
        if wanted in {str(key).lower(), str(label).lower()}:
            return str(key)
    row.refuse(column, f"Unknown value “{value}”. Choose from: {', '.join(choices.values)}.")
    return None


def _date(row: Row, column: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        row.refuse(column, f"“{value}” is not a date: write it as YYYY-MM-DD, e.g. 2026-01-31.")
        return None


def _country(row: Row, value: str) -> str | None:
    if not value:
        return ""
    if value.upper() in dict(countries):
        return value.upper()
    code = countries.by_name(value)
    if code:
        return code
    row.refuse("country", f"Unknown country “{value}”: use a two-letter code such as DE or US.")
    return None


@dataclass
class Lookups:
    """What rows refer to, loaded once per pass: matched partners and contacts, tiers, staff."""

    partners: dict[str, Partner] = field(default_factory=dict)  # by domain
    contacts: dict[tuple[int, str], Contact] = field(default_factory=dict)  # by (partner id, e-mail)
    tiers: dict[str, Tier] = field(default_factory=dict)  # by lowercase name
    staff: dict[str, User] = field(default_factory=dict)  # by e-mail


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), QUERY_CHUNK):
        yield values[start : start + QUERY_CHUNK]


def _load_lookups(access: TenantAccess, parsed: ParsedFile) -> Lookups:
    lookups = Lookups()
    domain_column = "domain" if parsed.kind == ImportJob.Kind.PARTNERS else "partner_domain"
    domains = sorted({normalize_domain(v[domain_column]) for _, v in parsed.rows} - {""})
    base: QuerySet[Partner] = queries.partners(access)
    if parsed.kind == ImportJob.Kind.PARTNERS:
        base = base.select_related(*queries.PARTNER_LIST_RELATED, "vendor_sponsor").prefetch_related(
            "attributes"
        )
    for chunk in _chunks(domains):
        lookups.partners.update({p.domain: p for p in base.filter(domain__in=chunk)})
    if parsed.kind == ImportJob.Kind.PARTNERS:
        lookups.tiers = {t.name.lower(): t for t in Tier.objects.all()}
        lookups.staff = {u.email.lower(): u for u in queries.staff_users(access)}
    else:
        emails = sorted({v["email"].lower() for _, v in parsed.rows if v["email"]})
        partner_ids = [p.pk for p in lookups.partners.values()]
        for chunk in _chunks(emails):
            for contact in Contact.objects.filter(partner_id__in=partner_ids, email__in=chunk):
                lookups.contacts[(contact.partner_id, contact.email)] = contact
    return lookups


def _parse_partner(number: int, values: dict[str, str], lookups: Lookups) -> Row:
    domain = normalize_domain(values["domain"])
    row = Row(number=number, key=domain or values["domain"], label=values["name"], match_key=domain or None)
    if not domain:
        row.refuse("domain", "Required: partners are matched on their domain.")
    row.target = lookups.partners.get(domain) if domain else None
    fields = row.fields
    for name, value in values.items():
        if name in services.ATTRIBUTE_FIELDS:
            row.attributes[name] = [v.strip().lower() for v in value.split(";") if v.strip()]
        elif name == "status":
            row.status = _choice(row, name, value, Partner.Status) if value else None
        elif name == "country":
            country = _country(row, value)
            if country is not None:
                fields[name] = country
        elif name in ("company_size", "agreement_type"):
            if not value:
                fields[name] = AgreementType.STANDARD if name == "agreement_type" else ""
            elif (
                key := _choice(row, name, value, CompanySize if name == "company_size" else AgreementType)
            ) is not None:
                fields[name] = key
        elif name in _DATE_COLUMNS:
            day = _date(row, name, value)
            if day is not None or not value:
                fields[name] = day
        elif name == "tier":
            tier = lookups.tiers.get(value.lower()) if value else None
            if value and tier is None:
                known = (
                    ", ".join(t.name for t in sorted(lookups.tiers.values(), key=lambda t: t.rank))
                    or "none yet"
                )
                row.refuse(name, f"No tier named “{value}”. Tiers: {known}.")
            else:
                fields[name] = tier
        elif name in _PEOPLE_COLUMNS:
            person = lookups.staff.get(value.lower()) if value else None
            if value and person is None:
                row.refuse(name, f"No active staff member with the e-mail {value}.")
            else:
                fields[name] = person
        else:
            fields[name] = domain if name == "domain" else value
    return row


def _parse_contact(number: int, values: dict[str, str], lookups: Lookups) -> Row:
    domain = normalize_domain(values["partner_domain"])
    email = values["email"].lower()
    row = Row(
        number=number,
        key=f"{domain or values['partner_domain']} · {email}",
        label=values["name"],
        match_key=f"{domain} {email}" if domain and email else None,
    )
    partner = lookups.partners.get(domain) if domain else None
    if partner is None:
        message = (
            f"No partner with the domain {domain}. Import or create the partner first."
            if domain
            else "Required."
        )
        row.refuse("partner_domain", message)
        row.skip_service = True
    row.target = partner
    for name, value in values.items():
        if name == "partner_domain":
            continue
        if name == "role":
            if not value:
                row.fields[name] = ContactRole.PRIMARY
            elif (key := _choice(row, name, value, ContactRole)) is not None:
                row.fields[name] = key
        else:
            row.fields[name] = email if name == "email" else value
    return row


# --- running rows through the services -------------------------------------------------------


class _Unchanged(Exception):
    """Raised inside a row's savepoint to undo a no-op update (no timestamp churn)."""


class _Refused(Exception):
    """Raised inside a row's savepoint when the row had errors before the service ran."""


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, User):
        return value.email
    if isinstance(value, list):
        return ";".join(value)
    return str(getattr(value, "code", None) or getattr(value, "name", None) or value)


def _partner_state(partner: Partner, columns: list[str]) -> dict[str, str]:
    state = {}
    for name in columns:
        if name in services.ATTRIBUTE_FIELDS:
            state[name] = _display(partner.values_of(services.ATTRIBUTE_FIELDS[name]))
        else:
            state[name] = _display(getattr(partner, name))
    return state


def _changes(before: dict[str, str], after: dict[str, str]) -> list[list[str]]:
    return [[name, before[name][:80], after[name][:80]] for name in before if before[name] != after[name]]


@dataclass
class Pass:
    """One run over every row of a file, for preview or for real."""

    job: ImportJob
    access: TenantAccess
    parsed: ParsedFile
    lookups: Lookups

    def partner_row(self, row: Row) -> tuple[str, list[list[str]]]:
        partner = row.target
        if partner is None:
            services.partner_create(
                access=self.access,
                fields=row.fields,
                attributes=row.attributes,
                status=row.status or Partner.Status.PROSPECT,
            )
            return "create", []
        assert isinstance(partner, Partner)
        before = _partner_state(partner, self.parsed.columns)
        services.partner_update(
            access=self.access, partner=partner, fields=row.fields, attributes=row.attributes
        )
        if row.status and row.status != partner.status:
            services.partner_change_status(
                access=self.access,
                partner=partner,
                status=row.status,
                reason=f"CSV import of {self.job.original_filename} (row {row.number}).",
            )
        changes = _changes(before, _partner_state(partner, self.parsed.columns))
        return ("update" if changes else "unchanged"), changes

    def contact_row(self, row: Row) -> tuple[str, list[list[str]]]:
        partner = row.target
        assert isinstance(partner, Partner)
        contact = self.lookups.contacts.get((partner.pk, row.fields["email"]))
        if contact is None:
            services.contact_create(access=self.access, partner=partner, fields=row.fields)
            return "create", []
        columns = [c for c in self.parsed.columns if c != "partner_domain"]
        before = {c: _display(getattr(contact, c)) for c in columns}
        contact.partner = partner  # already loaded: no query for the permission check
        services.contact_update(access=self.access, contact=contact, fields=row.fields)
        changes = _changes(before, {c: _display(getattr(contact, c)) for c in columns})
        return ("update" if changes else "unchanged"), changes

    def rows(self) -> Iterator[Row]:
        parse = _parse_partner if self.parsed.kind == ImportJob.Kind.PARTNERS else _parse_contact
        seen: dict[str, int] = {}
        for number, values in self.parsed.rows:
            row = parse(number, values, self.lookups)
            if row.match_key is not None and row.match_key in seen:
                what = (
                    "domain" if self.parsed.kind == ImportJob.Kind.PARTNERS else "partner and e-mail address"
                )
                row.refuse(
                    "domain" if self.parsed.kind == ImportJob.Kind.PARTNERS else "email",
                    f"Row {seen[row.match_key]} has the same {what}; a file may name each one once.",
                )
                row.skip_service = True
            elif row.match_key is not None:
                seen[row.match_key] = number
            yield row

    def run_row(self, row: Row) -> dict[str, Any]:
        """Run one row through its service in a savepoint; its result for the page."""
        handler = self.partner_row if self.parsed.kind == ImportJob.Kind.PARTNERS else self.contact_row
        result: dict[str, Any] = {"row": row.number, "key": row.key, "label": row.label}
        errors = list(row.errors)
        if row.skip_service:
            return {**result, "action": "error", "errors": errors}
        try:
            with transaction.atomic():
                action, changes = handler(row)
                if errors:
                    raise _Refused
                if action == "unchanged":
                    raise _Unchanged
        except _Refused:
            pass
        except _Unchanged:
            return {**result, "action": "unchanged"}
        except ValidationError as exc:
            errors += _errors_of(exc, self.parsed.columns)
            if row.attributes and set(getattr(exc, "error_dict", {})) <= set(services.ATTRIBUTE_FIELDS):
                errors += self._errors_besides_attributes(handler, row)
        except PermissionDenied as exc:
            errors.append({"column": "", "message": str(exc) or "Not allowed."})
        except IntegrityError:
            errors.append(
                {"column": "", "message": "Clashes with a record saved at the same time; try again."}
            )
        else:
            return {**result, "action": action, "changes": changes}
        return {**result, "action": "error", "errors": errors}

    def _errors_besides_attributes(self, handler: Callable[[Row], Any], row: Row) -> list[dict[str, str]]:
        """The service checks attribute values first and stops there; run the row again without
        them (rolled back) so one upload names every problem of the row."""
        attributes, row.attributes = row.attributes, {}
        try:
            with transaction.atomic():
                handler(row)
                raise _Refused
        except (_Refused, PermissionDenied, IntegrityError):
            return []
        except ValidationError as exc:
            return _errors_of(exc, self.parsed.columns)
        finally:
            row.attributes = attributes


def _errors_of(exc: ValidationError, columns: list[str]) -> list[dict[str, str]]:
    if not hasattr(exc, "error_dict"):
        return [{"column": "", "message": m} for m in exc.messages]
    errors = []
    for name, messages in exc.message_dict.items():
        column = name if name in columns else ""
        errors += [{"column": column, "message": m} for m in messages]
    return errors


@dataclass
class Outcome:
    counts: dict[str, int]
    results: list[dict[str, Any]]


def run_pass(
    job: ImportJob, access: TenantAccess, *, commit: bool, progress: Callable[[int], None]
) -> Outcome:
    """Every row through the services; rolled back unless ``commit`` (and, in all-or-nothing
    mode, unless every row passed)."""
    parsed = read_csv(job.kind, _file_bytes(job))
    job.total_rows = len(parsed.rows)
    counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
    errors: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    with transaction.atomic():
        run = Pass(job=job, access=access, parsed=parsed, lookups=_load_lookups(access, parsed))
        for done, row in enumerate(run.rows(), start=1):
            result = run.run_row(row)
            counts[result["action"]] += 1
            kept = errors if result["action"] == "error" else others
            if len(kept) < (STORED_ERRORS if kept is errors else STORED_OTHERS):
                kept.append(result)
            progress(done)
        refused = counts["error"] > 0 and job.mode == ImportJob.Mode.ALL_OR_NOTHING
        if not commit or refused:
            transaction.set_rollback(True)
    job.processed_rows = job.total_rows
    return Outcome(counts=counts, results=sorted(errors + others, key=lambda r: r["row"]))


def _file_bytes(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()
