"""DRF plug-ins named in settings (authentication, permission, pagination).

Kept apart from ``prm.api`` because DRF imports these while its own views module loads.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import pagination, parsers
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested too deeply for Python's parser refused as a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


class ApiKeyUser:
    """Stands in for ``request.user`` when an API key calls; the key is ``request.auth``."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None
    id = None

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return f"API key {self.name}"


class TenantAccessAuthentication(BaseAuthentication):
    """Accept what the tenant middleware resolved: an API key, or a session (CSRF enforced)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        access = getattr(request._request, "access", None)
        if access is None:
            return None
        if access.api_key is not None:
            return ApiKeyUser(access.api_key.name), access.api_key
        return SessionAuthentication().authenticate(request)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TenantAccessAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular registers extensions in an untyped hook
    target_class = "prm.drf.TenantAccessAuthentication"
    name = ["bearerAuth", "cookieAuth"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "Tenant API key: `Authorization: Bearer prm_…`",
            },
            {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        ]


class HasTenantPermission(BasePermission):
    """The caller's role must grant the permission the view names for this action.

    A view that names none for an action refuses it: new endpoints start closed.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        access = getattr(request, "access", None)
        if access is None or request.successful_authenticator is None:
            return False  # fail closed: DRF itself must have accepted the session or the key
        perm = view.required_permission(request)
        return perm is not None and access.can(perm)


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200
