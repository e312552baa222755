"""Tenant resolution: ``/t/<slug>/…`` (pages) and ``/api/v1/t/<slug>/…`` (API).

For every request under a tenant prefix the middleware finds who is acting (a member with a
session, or an API key), answers 404 to anyone who is not a member (the same answer as for a
tenant that does not exist), then runs the rest of the request inside ``tenant_context``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone

from .access import TenantAccess, acting_as
from .errors import page_not_found
from .models import ApiKey, Membership, Tenant, User, hash_secret
from .tenancy import tenant_context

PAGE_PREFIX = re.compile(r"^/t/(?P<slug>[^/]+)/")
API_PREFIX = re.compile(r"^/api/v1/t/(?P<slug>[^/]+)/")
LAST_USED_RESOLUTION_SECONDS = 60


def _json(status: int, detail: str, *, challenge: bool = False) -> JsonResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if challenge else None
    return JsonResponse({"detail": detail}, status=status, headers=headers)


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None  # type: ignore[attr-defined]
        request.access = None  # type: ignore[attr-defined]
        if match := API_PREFIX.match(request.path_info):
            return self._api(request, match["slug"])
        if match := PAGE_PREFIX.match(request.path_info):
            return self._page(request, match["slug"])
        return self.get_response(request)

    def _page(self, request: HttpRequest, slug: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        membership = self._membership(request.user, slug)
        if membership is None:
            return page_not_found(request)
        return self._run(request, TenantAccess.from_membership(membership))

    def _api(self, request: HttpRequest, slug: str) -> HttpResponse:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return self._api_key(request, slug, credentials.strip())
        if not request.user.is_authenticated:
            return _json(401, "Authentication credentials were not provided.", challenge=True)
        membership = self._membership(request.user, slug)
        if membership is None:
            return _json(404, "Not found.")
        return self._run(request, TenantAccess.from_membership(membership))

    def _api_key(self, request: HttpRequest, slug: str, secret: str) -> HttpResponse:
        invalid = _json(401, "Invalid or revoked API key.", challenge=True)
        tenant = Tenant.objects.filter(slug=slug, is_active=True).first()
        if tenant is None or not secret.startswith(ApiKey.PREFIX):
            return invalid
        with tenant_context(tenant):
            key = ApiKey.objects.filter(key_hash=hash_secret(secret), revoked_at__isnull=True).first()
            if key is None:
                return invalid
            now = timezone.now()
            if (
                key.last_used_at is None
                or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
            ):
                ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return self._run(request, TenantAccess.from_api_key(key, tenant))

    @staticmethod
    def _membership(user: User, slug: str) -> Membership | None:
        return (
            Membership.objects.select_related("tenant", "user")
            .filter(tenant__slug=slug, tenant__is_active=True, user=user, is_active=True)
            .first()
        )

    def _run(self, request: HttpRequest, access: TenantAccess) -> HttpResponse:
        request.tenant = access.tenant  # type: ignore[attr-defined]
        request.access = access  # type: ignore[attr-defined]
        with tenant_context(access.tenant), acting_as(access):
            response = self.get_response(request)
            if response.status_code >= 500:
                # Django turned an exception into this response inside our transaction:
                # nothing the failed request wrote may be committed.
                transaction.set_rollback(True)
        if isinstance(response, StreamingHttpResponse):  # FileResponse included
            response.streaming_content = _in_tenant(access.tenant, response.streaming_content)
        return response


def _in_tenant(tenant: Tenant, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Streamed bodies are produced after the view returned: produce them in the tenant too."""
    with tenant_context(tenant):
        yield from chunks
