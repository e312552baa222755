"""CSV import of partners and contacts: preview with per-row errors, apply all-or-nothing or
valid rows only, updates matched on domain (contacts on partner domain + e-mail), audit,
progress, file limits, templates, and who may reach the pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners import imports, services
from partners.models import Contact, ImportJob, Partner
from partners.tasks import apply_import
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory

HEADER = [
    "name",
    "domain",
    "website",
    "regions",
    "partner_types",
    "status",
    "join_date",
    "tier",
    "partner_manager",
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def northwind(world_a):
    return PartnerFactory(
        tenant=world_a.tenant, name="Northwind", domain="northwind.example", status="active"
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """``run.upload(world, rows)`` and ``run.apply(world, job, mode)``: service calls as a page
    makes them, with the queued tasks executed (eagerly) once the transaction commits."""

    class Runner:
        def upload(self, world, rows, *, kind="partners", role=Role.ADMIN, name="partners.csv") -> ImportJob:
            data = rows if isinstance(rows, bytes) else to_csv(rows)
            with django_capture_on_commit_callbacks(execute=True), tenant_context(world.tenant):
                job = imports.import_start(access=world.access(role), kind=kind, filename=name, data=data)
            return fresh(world, job)

        def apply(self, world, job, mode=ImportJob.Mode.ALL_OR_NOTHING, *, role=Role.ADMIN) -> ImportJob:
            with django_capture_on_commit_callbacks(execute=True), tenant_context(world.tenant):
                imports.import_apply(access=world.access(role), job=job, mode=mode)
            return fresh(world, job)

    return Runner()


def to_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def fresh(world, job) -> ImportJob:
    with tenant_context(world.tenant):
        return ImportJob.objects.get(pk=job.pk)


def partners_of(world) -> dict[str, Partner]:
    with tenant_context(world.tenant):
        return {p.domain: p for p in Partner.objects.prefetch_related("attributes") if p.domain}


def verbs(world, prefix: str) -> list[str]:
    with tenant_context(world.tenant):
        return list(AuditEvent.objects.filter(verb__startswith=prefix).values_list("verb", flat=True))


def result_of(job, row: int) -> dict:
    return next(r for r in job.row_results if r["row"] == row)


MIXED = [
    HEADER,
    ["Northwind Traders", "northwind.example", "", "uk_ireland;dach", "reseller", "", "", "", ""],
    [
        "Contoso",
        "contoso.example",
        "https://contoso.example",
        "north_america",
        "msp;isv",
        "onboarding",
        "",
        "",
        "",
    ],
    ["Bad Regions", "bad.example", "nope", "mars", "", "", "", "", ""],
    ["Bad Date", "date.example", "not a url", "", "", "", "31/01/2026", "", "nobody@alpha.example"],
]


# --- preview ---------------------------------------------------------------------------------


def test_preview_shows_per_row_errors_and_what_will_be_created_or_updated(world_a, northwind, run):
    job = run.upload(world_a, MIXED)

    assert job.status == ImportJob.Status.PREVIEWED
    assert job.counts == {"create": 1, "update": 1, "unchanged": 0, "error": 2}
    assert result_of(job, 2)["action"] == "update"
    assert ["name", "Northwind", "Northwind Traders"] in result_of(job, 2)["changes"]
    assert ["regions", "", "dach;uk_ireland"] in result_of(job, 2)["changes"]
    assert result_of(job, 3)["action"] == "create"
    bad_regions = result_of(job, 4)
    assert bad_regions["action"] == "error"
    assert [e["column"] for e in bad_regions["errors"]] == ["regions", "website"]
    assert "mars" in bad_regions["errors"][0]["message"]
    # One pass names every problem of a row: its own parsing and the service's rules.
    assert {e["column"] for e in result_of(job, 5)["errors"]} == {"join_date", "partner_manager", "website"}
    # Nothing was written.
    assert set(partners_of(world_a)) == {"northwind.example"}
    assert partners_of(world_a)["northwind.example"].name == "Northwind"
    assert verbs(world_a, "partner.") == []


def test_preview_refuses_what_apply_would_refuse(world_a, northwind, run):
    with tenant_context(world_a.tenant):
        archived = PartnerFactory(name="Old Co", domain="old.example")
        services.partner_archive(access=world_a.access(Role.ADMIN), partner=archived)
    job = run.upload(
        world_a,
        [
            ["name", "domain", "status"],
            ["Twice", "twice.example", ""],
            ["Twice Again", "TWICE.example", ""],
            ["Old Co", "old.example", ""],
            ["Northwind", "northwind.example", "prospect"],
            ["Exec Partner", "exec.example", ""],
        ],
    )
    assert job.counts["error"] == 3
    assert "Row 2 has the same domain" in result_of(job, 3)["errors"][0]["message"]
    assert "archived" in result_of(job, 4)["errors"][0]["message"]
    assert result_of(job, 5)["errors"][0]["column"] == "status"  # active → prospect is no lifecycle move
    assert result_of(job, 6)["action"] == "create"


def test_a_row_that_changes_nothing_is_reported_unchanged_and_left_alone(world_a, northwind, run):
    before = northwind.updated_at
    job = run.upload(world_a, [["name", "domain"], ["Northwind", "northwind.example"]])
    assert job.counts == {"create": 0, "update": 0, "unchanged": 1, "error": 0}
    job = run.apply(world_a, job)
    assert job.applied_counts == {"created": 0, "updated": 0, "unchanged": 1, "skipped": 0}
    assert partners_of(world_a)["northwind.example"].updated_at == before


# --- apply -----------------------------------------------------------------------------------


def test_applying_valid_rows_only_creates_only_the_good_rows(world_a, northwind, run):
    job = run.apply(world_a, run.upload(world_a, MIXED), ImportJob.Mode.VALID_ROWS_ONLY)

    assert job.status == ImportJob.Status.DONE
    assert job.applied_counts == {"created": 1, "updated": 1, "unchanged": 0, "skipped": 2}
    partners = partners_of(world_a)
    assert set(partners) == {"northwind.example", "contoso.example"}
    contoso = partners["contoso.example"]
    assert contoso.status == Partner.Status.ONBOARDING
    assert contoso.values_of("type") == ["isv", "msp"]
    assert partners["northwind.example"].values_of("region") == ["dach", "uk_ireland"]


def test_all_or_nothing_with_a_bad_row_creates_nothing(world_a, northwind, run):
    job = run.apply(world_a, run.upload(world_a, MIXED), ImportJob.Mode.ALL_OR_NOTHING)

    assert job.status == ImportJob.Status.FAILED
    assert "Nothing was imported" in job.error_message
    assert set(partners_of(world_a)) == {"northwind.example"}
    assert partners_of(world_a)["northwind.example"].name == "Northwind"
    assert verbs(world_a, "partner.") == []
    assert verbs(world_a, "import.") == ["import.failed"]


def test_a_row_that_fails_only_at_apply_time_leaves_nothing_half_applied(world_a, northwind, run):
    job = run.upload(
        world_a, [["name", "domain"], ["New One", "one.example"], ["Northwind Two", "northwind.example"]]
    )
    assert job.counts == {"create": 1, "update": 1, "unchanged": 0, "error": 0}
    # Between preview and apply, someone archives the partner the second row updates.
    with tenant_context(world_a.tenant):
        services.partner_archive(access=world_a.access(Role.MANAGER), partner=northwind)

    job = run.apply(world_a, job, ImportJob.Mode.ALL_OR_NOTHING)

    assert job.status == ImportJob.Status.FAILED
    assert "archived" in result_of(job, 3)["errors"][0]["message"]
    assert set(partners_of(world_a)) == {"northwind.example"}
    assert partners_of(world_a)["northwind.example"].name == "Northwind"
    assert verbs(world_a, "partner.") == ["partner.archived"]


def test_update_matched_on_domain_changes_fields_and_is_audited(world_a, northwind, run):
    with tenant_context(world_a.tenant):
        gold = next(t for t in services.tier_ensure_defaults() if t.name == "Gold")
    rows = [
        ["name", "domain", "regions", "tier", "partner_manager", "status", "join_date"],
        [
            "Northwind Traders",
            "https://www.Northwind.example/about",
            "nordics",
            "gold",
            "manager@alpha.example",
            "suspended",
            "2025-03-01",
        ],
    ]
    job = run.apply(world_a, run.upload(world_a, rows, name="q3-update.csv"))

    assert job.status == ImportJob.Status.DONE
    partner = partners_of(world_a)["northwind.example"]
    assert partner.pk == northwind.pk
    assert (partner.name, partner.tier_id, partner.status) == ("Northwind Traders", gold.pk, "suspended")
    assert partner.partner_manager == world_a.user(Role.MANAGER)
    assert str(partner.join_date) == "2025-03-01"
    assert partner.values_of("region") == ["nordics"]
    with tenant_context(world_a.tenant):
        updated = AuditEvent.objects.get(verb="partner.updated", partner_id=partner.pk)
        moved = partner.status_changes.get()
        event = AuditEvent.objects.get(verb="import.applied")
    assert updated.before["name"] == "Northwind"
    assert updated.after["name"] == "Northwind Traders"
    assert updated.after["regions"] == ["nordics"]
    assert updated.actor == world_a.user(Role.ADMIN)
    assert moved.reason == "CSV import of q3-update.csv (row 2)."
    assert event.actor == world_a.user(Role.ADMIN)
    assert event.target_id == str(job.pk)
    assert event.after == {
        "kind": "partners",
        "file": "q3-update.csv",
        "mode": "all_or_nothing",
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "skipped": 0,
    }


def test_applying_twice_does_nothing_the_second_time(world_a, run):
    job = run.apply(world_a, run.upload(world_a, [["name", "domain"], ["Once", "once.example"]]))
    assert job.status == ImportJob.Status.DONE

    assert apply_import.delay(tenant_id=world_a.tenant.pk, job_id=job.pk).get() == "skipped"
    with pytest.raises(ValidationError, match="not waiting to be applied"):
        run.apply(world_a, job)
    assert len(partners_of(world_a)) == 1
    assert verbs(world_a, "import.") == ["import.applied"]


# --- contacts --------------------------------------------------------------------------------


def test_contacts_import_matches_on_partner_domain_and_email(world_a, northwind, run):
    contoso = PartnerFactory(tenant=world_a.tenant, name="Contoso", domain="contoso.example")
    with tenant_context(world_a.tenant):
        jane = services.contact_create(
            access=world_a.access(Role.ADMIN),
            partner=northwind,
            fields={"name": "Jane Doe", "email": "jane@northwind.example", "role": "primary"},
        )
    rows = [
        ["partner_domain", "email", "name", "title", "role"],
        ["northwind.example", "JANE@northwind.example", "Jane Doe", "Head of Alliances", "primary"],
        ["northwind.example", "bob@northwind.example", "Bob Roe", "", "technical"],
        ["contoso.example", "jane@northwind.example", "Jane Doe", "Advisor", "executive sponsor"],
        ["nowhere.example", "x@nowhere.example", "Nobody", "", ""],
        ["northwind.example", "carol@northwind.example", "Carol", "", "boss"],
    ]
    job = run.upload(world_a, rows, kind="contacts", name="contacts.csv")
    assert job.counts == {"create": 2, "update": 1, "unchanged": 0, "error": 2}
    assert result_of(job, 2)["changes"] == [["title", "", "Head of Alliances"]]
    assert result_of(job, 5)["errors"][0]["column"] == "partner_domain"
    assert result_of(job, 6)["errors"][0]["column"] == "role"

    job = run.apply(world_a, job, ImportJob.Mode.VALID_ROWS_ONLY)

    assert job.applied_counts == {"created": 2, "updated": 1, "unchanged": 0, "skipped": 2}
    with tenant_context(world_a.tenant):
        jane.refresh_from_db()
        assert jane.title == "Head of Alliances"
        assert Contact.objects.get(partner=northwind, email="bob@northwind.example").role == "technical"
        assert (
            Contact.objects.get(partner=contoso, email="jane@northwind.example").role == "executive_sponsor"
        )
        assert Contact.objects.count() == 3
    assert sorted(verbs(world_a, "contact.")) == ["contact.created"] * 3 + [
        "contact.updated"
    ]  # one by the setup


# --- the file as a whole -----------------------------------------------------------------------


def test_a_wrong_header_names_the_missing_and_unknown_columns(world_a):
    with pytest.raises(imports.ImportFileError) as caught:
        imports.read_csv("partners", to_csv([["name", "colour", "size"], ["A", "red", "1"]]))
    message = caught.value.messages[0]
    assert "unknown columns colour, size" in message
    with pytest.raises(imports.ImportFileError, match=r"unknown column region \(did you mean regions\?\)"):
        imports.read_csv("partners", to_csv([["name", "domain", "region"], ["A", "a.example", "dach"]]))
    assert "missing required column domain" in message


def test_a_contacts_file_uploaded_as_partners_gets_a_hint(world_a):
    with pytest.raises(imports.ImportFileError, match="looks like a contacts file"):
        imports.read_csv(
            "partners", to_csv([["partner_domain", "email", "name"], ["a.example", "a@a.example", "A"]])
        )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"name,domain\n", "no rows"),
        (b"", "empty"),
        ("name,domain\nCaf\u00e9,cafe.example\n".encode("latin-1"), "not UTF-8"),
        (b"name;domain\nA;a.example\n", "semicolons"),
        (b"name,domain\nA,a.example,extra\n", "Row 2 has 3 cells"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_a_reason(data, expected):
    with pytest.raises(imports.ImportFileError, match=expected):
        imports.read_csv("partners", data)


def test_limits_on_size_and_rows(monkeypatch):
    import prm.csvfile

    monkeypatch.setattr(prm.csvfile, "MAX_ROWS", 3)  # the limit every import shares
    rows = [["name", "domain"]] + [[f"P{i}", f"p{i}.example"] for i in range(4)]
    with pytest.raises(imports.ImportFileError, match="4 rows; import at most 3"):
        imports.read_csv("partners", to_csv(rows))
    with pytest.raises(imports.ImportFileError, match="limit is 5 MB"):
        imports.read_csv("partners", b"name,domain\n" + b"x" * imports.MAX_BYTES)


def test_a_byte_order_mark_and_blank_lines_are_fine():
    parsed = imports.read_csv("partners", "\ufeffName , Domain\r\n\r\nA,a.example\r\n,\r\n".encode())
    assert parsed.columns == ["name", "domain"]
    assert parsed.rows == [(3, {"name": "A", "domain": "a.example"})]


# --- pages -----------------------------------------------------------------------------------


def url(name: str, world, **kwargs) -> str:
    return reverse(name, kwargs={"tenant_slug": world.tenant.slug, **kwargs})


def test_upload_preview_apply_and_result_pages(
    world_a, northwind, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world_a.user(Role.MANAGER))
    page = client.get(url("partner_import", world_a))
    assert page.status_code == 200
    assert "partner_types" in page.content.decode()
    assert "co_sell" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("partner_import", world_a),
            {"kind": "partners", "file": SimpleUploadedFile("mixed.csv", to_csv(MIXED), "text/csv")},
        )
    with tenant_context(world_a.tenant):
        job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("partner_import_detail", world_a, import_job_id=job.pk)

    preview = client.get(response["Location"]).content.decode()
    assert "Rows with errors" in preview
    assert "Unknown value(s): mars" in preview
    assert "Contoso" in preview
    assert "New" in preview
    assert "Valid rows only" in preview

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("partner_import_apply", world_a, import_job_id=job.pk), {"mode": "valid_rows_only"}
        )
    result = client.get(response["Location"]).content.decode()
    assert "Import complete." in result
    assert "1 partner created, 1 updated" in result
    assert set(partners_of(world_a)) == {"northwind.example", "contoso.example"}


def test_a_wrong_header_is_shown_on_the_upload_form(world_a, client_for):
    client = client_for(world_a.user(Role.ADMIN))
    response = client.post(
        url("partner_import", world_a),
        {"kind": "partners", "file": SimpleUploadedFile("x.csv", to_csv([["name", "colour"], ["A", "red"]]))},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "unknown column colour" in body
    assert "missing required column domain" in body
    with tenant_context(world_a.tenant):
        assert not ImportJob.objects.exists()


def test_the_template_download_parses_back_through_the_importer_cleanly(world_a, client_for, run):
    with tenant_context(world_a.tenant):
        services.tier_ensure_defaults()
    client = client_for(world_a.user(Role.ADMIN))
    partners_csv = client.get(url("partner_import_template", world_a, kind="partners"))
    assert partners_csv["Content-Type"].startswith("text/csv")
    assert "attachment" in partners_csv["Content-Disposition"]
    parsed = imports.read_csv("partners", partners_csv.content)
    assert parsed.columns == [c.name for c in imports.PARTNER_COLUMNS]

    job = run.upload(world_a, partners_csv.content)
    assert job.counts == {"create": 1, "update": 0, "unchanged": 0, "error": 0}, job.row_results
    run.apply(world_a, job)

    contacts_csv = client.get(url("partner_import_template", world_a, kind="contacts")).content
    job = run.upload(world_a, contacts_csv, kind="contacts")
    assert job.counts == {"create": 1, "update": 0, "unchanged": 0, "error": 0}, job.row_results
    assert client.get(url("partner_import_template", world_a, kind="deals")).status_code == 404


def test_progress_moves_while_a_job_runs_and_the_page_polls_until_it_ends(
    world_a, client_for, run, monkeypatch
):
    seen: list[dict] = []
    monkeypatch.setattr(imports.jobs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(imports.jobs, "publish_progress", lambda job_id, state: seen.append(state))
    rows = [["name", "domain"]] + [[f"P{i}", f"p{i}.example"] for i in range(6)]
    job = run.upload(world_a, rows)

    checking = [s["processed"] for s in seen if s.get("status") == "validating"]
    assert checking == sorted(checking)
    assert checking[0] < checking[-1] == 6
    assert (job.total_rows, job.processed_rows) == (6, 6)

    client = client_for(world_a.user(Role.ADMIN))
    detail = url("partner_import_detail", world_a, import_job_id=job.pk)
    assert client.get(detail, headers={"HX-Request": "true"})["HX-Refresh"] == "true"  # done: reload
    with tenant_context(world_a.tenant):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.APPLYING, processed_rows=3)
    poll = client.get(detail, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in poll.content.decode()
    assert "3 of 6 rows" in poll.content.decode()
    assert 'http-equiv="refresh"' in client.get(detail).content.decode()  # without JavaScript


def test_another_tenants_import_is_404(world_a, world_b, client_for, run):
    job = run.upload(world_b, [["name", "domain"], ["B", "b.example"]])
    client = client_for(world_a.user(Role.ADMIN))
    assert client.get(url("partner_import_detail", world_a, import_job_id=job.pk)).status_code == 404
    apply_url = url("partner_import_apply", world_a, import_job_id=job.pk)
    assert client.post(apply_url, {"mode": "valid_rows_only"}).status_code == 404
    assert fresh(world_b, job).status == ImportJob.Status.PREVIEWED


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.FINANCE, Role.EXECUTIVE])
def test_only_staff_who_manage_partners_reach_the_import_pages(world_a, client_for, run, role):
    job = run.upload(world_a, [["name", "domain"], ["A", "a.example"]])
    client = client_for(world_a.user(role))
    assert client.get(url("partner_import", world_a)).status_code == 403
    assert client.get(url("partner_import_detail", world_a, import_job_id=job.pk)).status_code == 403
    assert client.get(url("partner_import_template", world_a, kind="partners")).status_code == 403
    response = client.post(
        url("partner_import_apply", world_a, import_job_id=job.pk), {"mode": "valid_rows_only"}
    )
    assert response.status_code == 403
    assert fresh(world_a, job).status == ImportJob.Status.PREVIEWED
    with pytest.raises(PermissionDenied), tenant_context(world_a.tenant):
        imports.import_start(
            access=world_a.access(role), kind="partners", filename="x.csv", data=b"name,domain\nA,a.ex\n"
        )


def test_a_job_whose_worker_vanished_stops_polling_and_says_so(world_a, client_for):
    with tenant_context(world_a.tenant):
        job = ImportJob.objects.create(kind="partners", file="imports/x.csv", original_filename="x.csv")
        ImportJob.objects.filter(pk=job.pk).update(updated_at=job.updated_at - timedelta(hours=1))
    client = client_for(world_a.user(Role.ADMIN))
    detail = url("partner_import_detail", world_a, import_job_id=job.pk)
    assert client.get(detail, headers={"HX-Request": "true"})["HX-Refresh"] == "true"
    page = client.get(detail).content.decode()
    assert "stopped without finishing" in page
    assert "hx-trigger" not in page
