"""Small helpers shared by every app's pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import IntegrityError
from django.forms import BaseForm as Form
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from .constraints import constraint_error
from .counting import BoundedPaginator
from .permissions import Perm

PageView = Callable[..., HttpResponseBase]


def require_perm(perm: Perm) -> Callable[[PageView], PageView]:
    """Page decorator: the tenant member's role must grant ``perm`` (403 page otherwise).

    The view can take a ``prm.access.TenantRequest``: it only runs when the request has an access.
    """

    def decorator(view: PageView) -> PageView:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            access = getattr(request, "access", None)
            if access is None or not access.can(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm  # type: ignore[attr-defined]
        return wrapped

    return decorator


def any_member(view: PageView) -> PageView:
    """Mark a page open to every member of the tenant (it decides what to show by role).

    Every tenant page carries ``require_perm`` or this mark; a test walks the URL conf and
    fails for a page with neither, so no page is open by accident.
    """
    view.open_to_any_member = True  # type: ignore[attr-defined]
    return view


def paginate(
    request: HttpRequest, queryset: Any, per_page: int = 25, *, param: str = "page", bounded: bool = False
) -> Page[Any]:
    """One page of ``queryset``; an out-of-range or junk page number gives the nearest page.
    ``bounded`` counts at most ``prm.counting.CAP`` rows (lists that can hold millions)."""
    paginator = BoundedPaginator(queryset, per_page) if bounded else Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get(param))


def apply_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field, else on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def run_service(form: Form, service: Callable[[], Any]) -> Any | None:
    """Call ``service`` for a valid form; on a ValidationError show it on the form and return None."""
    try:
        return service()
    except ValidationError as error:
        apply_service_errors(form, error)
        return None
    except IntegrityError as error:  # a race the database caught: the constraint's own words
        explained = constraint_error(error)
        if explained is None:
            raise
        apply_service_errors(form, explained)
        return None


def form_status(form: Form | None) -> int:
    """400 for a form with errors, so tests and tools see a refused submission."""
    return 400 if form is not None and form.errors else 200


def run_action(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Run a service from a button: its refusal (invalid, or not allowed) becomes an error message
    on the page, its success the ``success`` message. True when it went through."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    except PermissionDenied as error:
        messages.error(request, str(error) or "Your role may not do this.")
        return False
    messages.success(request, success)
    return True


def selected_tab(request: HttpRequest, tabs: list[tuple[str, str]], param: str = "status") -> str:
    """The tab named by ``?status=`` if it is one of ``tabs`` (value, label), else the first."""
    value = request.GET.get(param) or tabs[0][0]
    return value if value in dict(tabs) else tabs[0][0]
