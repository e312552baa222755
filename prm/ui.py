"""Small helpers shared by every app's pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse

from .permissions import Perm

PageView = Callable[..., HttpResponse]


def require_perm(perm: Perm) -> Callable[[PageView], PageView]:
    """Page decorator: the tenant member's role must grant ``perm`` (403 page otherwise).

    The view can take a ``prm.access.TenantRequest``: it only runs when the request has an access.
    """

    def decorator(view: PageView) -> PageView:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            access = getattr(request, "access", None)
            if access is None or not access.can(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm  # type: ignore[attr-defined]
        return wrapped

    return decorator


def paginate(request: HttpRequest, queryset: Any, per_page: int = 25, *, param: str = "page") -> Page:
    """One page of ``queryset``; an out-of-range or junk page number gives the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def apply_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field, else on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
