"""Every tenant route, discovered from the URL conf (pages) and the OpenAPI schema (API).

Tests parametrised over these lists cover new routes without anyone remembering to add them.
A route whose object argument is not in ``OBJECT_KWARGS`` (pages) or whose view has no
``model`` (API) makes the isolation tests fail with a message saying what to add.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from incentives.models import Claim, Fund, FundRequest, ProofDocument, RebateProgram, RebateStatement
from jbp.models import ActionItem, Activity, Investment, Plan, PlanExport, Review, Target
from partners.models import Certification, Contact, ImportJob, Partner, Tier
from pipeline.models import Account, DealRegistration, RevenueImport
from prm.models import ApiKey, AuditEvent, Invitation, Membership
from reporting.models import ReportExport
from tiering.models import PortfolioReview, ScoreRun, TierChangeProposal

# URL argument name → the model whose id it carries.
OBJECT_KWARGS = {
    "member_id": Membership,
    "invitation_id": Invitation,
    "api_key_id": ApiKey,
    "partner_id": Partner,
    "contact_id": Contact,
    "certification_id": Certification,
    "audit_event_id": AuditEvent,
    "import_job_id": ImportJob,
    "registration_id": DealRegistration,
    "account_id": Account,
    "revenue_import_id": RevenueImport,
    "tier_id": Tier,
    "proposal_id": TierChangeProposal,
    "run_id": ScoreRun,
    "review_id": PortfolioReview,
    "plan_id": Plan,
    "target_id": Target,
    "investment_id": Investment,
    "activity_id": Activity,
    "plan_review_id": Review,
    "action_item_id": ActionItem,
    "export_id": PlanExport,
    "fund_id": Fund,
    "mdf_request_id": FundRequest,
    "claim_id": Claim,
    "proof_id": ProofDocument,
    "program_id": RebateProgram,
    "statement_id": RebateStatement,
    "report_export_id": ReportExport,
}
# URL arguments that pick one of a few fixed words, not an object: the word the tests use.
VALUE_KWARGS = {"kind": "partners"}

TENANT_PAGE_PREFIX = "t/<slug:tenant_slug>/"
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class PageRoute:
    route: str  # e.g. "t/<slug:tenant_slug>/members/<int:member_id>/"
    name: str

    @property
    def object_kwargs(self) -> list[str]:
        return [
            m["name"]
            for m in _CONVERTER.finditer(self.route)
            if m["name"] not in {"tenant_slug", *VALUE_KWARGS}
        ]

    def url(self, slug: str, ids: dict[str, int]) -> str:
        def fill(match: re.Match) -> str:
            name = match["name"]
            if name in VALUE_KWARGS:
                return VALUE_KWARGS[name]
            return slug if name == "tenant_slug" else str(ids[name])

        return "/" + _CONVERTER.sub(fill, self.route)

    def __str__(self) -> str:
        return self.route


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def tenant_page_routes() -> list[PageRoute]:
    routes = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(TENANT_PAGE_PREFIX):
            routes.append(PageRoute(route=route, name=pattern.name or ""))
    return sorted(routes, key=lambda r: r.route)


@dataclass(frozen=True)
class ApiOperation:
    path: str  # e.g. "/api/v1/t/{tenant_slug}/members/{id}/"
    method: str

    @property
    def has_object(self) -> bool:
        return "{id}" in self.path

    def url(self, slug: str, object_id: int | None = None) -> str:
        url = self.path.replace("{tenant_slug}", slug)
        return url.replace("{id}", str(object_id)) if object_id is not None else url

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def tenant_api_operations() -> list[ApiOperation]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        if "{tenant_slug}" not in path:
            continue
        unknown = set(re.findall(r"{(\w+)}", path)) - {"tenant_slug", "id"}
        assert not unknown, f"{path}: teach tests/security/routes.py about path parameters {unknown}"
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                operations.append(ApiOperation(path=path, method=method))
    return sorted(operations, key=lambda o: (o.path, o.method))
