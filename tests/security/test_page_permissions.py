"""No tenant page is open by accident: each names a permission or is marked open to members."""

import pytest
from django.urls import resolve

from .routes import tenant_page_routes

ROUTES = tenant_page_routes()


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_tenant_page_declares_who_may_open_it(route):
    view = resolve(route.url("alpha", dict.fromkeys(route.object_kwargs, 1))).func
    declared = getattr(view, "required_perm", None) is not None or getattr(view, "open_to_any_member", False)
    assert declared, f"{route}: decorate the view with prm.ui.require_perm(...) or prm.ui.any_member"
