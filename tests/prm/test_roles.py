"""Roles gate the pages: what each role gets on each page of a tenant, as ROLE_PERMISSIONS says.

Staff pages answer 403 to roles without the permission, portal pages 403 to staff (no staff role
has ``use_portal``); partner roles landing on the tenant's home are sent to their portal.
Anonymous visitors are sent to sign in, and people who are not members get 404 everywhere.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from prm.access import require
from prm.permissions import ROLE_PERMISSIONS, Perm, Role

PAGES = ["", "members/", "settings/api-keys/", "audit/", "partners/", "portal/", "portal/team/"]

OK, FORBIDDEN, TO_PORTAL = 200, 403, "portal"

EXPECTED = {
    #                      home      members    api keys   audit      partners   portal     team
    Role.ADMIN:         [OK,        OK,        OK,        OK,        OK,        FORBIDDEN, FORBIDDEN],
    Role.MANAGER:       [OK,        FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,        FORBIDDEN, FORBIDDEN],
    Role.FINANCE:       [OK,        FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,        FORBIDDEN, FORBIDDEN],
    Role.EXECUTIVE:     [OK,        FORBIDDEN, FORBIDDEN, OK,        OK,        FORBIDDEN, FORBIDDEN],
    Role.PARTNER_ADMIN: [TO_PORTAL, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,        OK],
    Role.PARTNER_USER:  [TO_PORTAL, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,        OK],
}  # fmt: skip

CASES = [(role, page, EXPECTED[role][i]) for role in EXPECTED for i, page in enumerate(PAGES)]


@pytest.mark.parametrize(
    ("role", "page", "expected"), CASES, ids=[f"{r.value}-{p or 'home'}" for r, p, _ in CASES]
)
def test_each_role_gets_the_expected_answer_on_each_page(world_a, client_for, role, page, expected):
    response = client_for(world_a.user(role)).get(f"/t/alpha/{page}")

    if expected == TO_PORTAL:
        assert response.status_code == 302
        assert response["Location"] == "/t/alpha/portal/"
    else:
        assert response.status_code == expected
    if expected == FORBIDDEN:
        assert b"You can't open this page" in response.content


def test_the_expectation_table_matches_the_role_permission_matrix():
    """The table above is the matrix read page by page; a change to either must change both."""
    page_perm = {
        "members/": Perm.MANAGE_MEMBERS,
        "settings/api-keys/": Perm.MANAGE_API_KEYS,
        "audit/": Perm.VIEW_AUDIT,
        "partners/": Perm.VIEW_PROGRAM,
        "portal/": Perm.USE_PORTAL,
        "portal/team/": Perm.USE_PORTAL,
    }
    for role, answers in EXPECTED.items():
        for page, expected in zip(PAGES[1:], answers[1:], strict=True):
            allowed = page_perm[page] in ROLE_PERMISSIONS[role]
            assert (expected == OK) == allowed, (role, page)


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(world_a, page):
    response = Client().get(f"/t/alpha/{page}")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/t/alpha/{page}"


@pytest.mark.parametrize("page", PAGES)
def test_members_of_another_tenant_get_not_found_everywhere(world_a, world_b, client_for, page):
    response = client_for(world_b.user(Role.ADMIN)).get(f"/t/alpha/{page}")

    assert response.status_code == 404
    assert b"ALPHA" not in response.content


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_tenant_looks_the_same_as_a_foreign_one(world_a, client_for, page):
    client = client_for(world_a.user(Role.ADMIN))

    unknown = client.get(f"/t/no-such-tenant/{page}")

    assert unknown.status_code == 404
    assert b"Page not found" in unknown.content


def test_an_inactive_tenant_is_not_found_even_for_its_admin(world_a, client_for):
    world_a.tenant.is_active = False
    world_a.tenant.save()

    assert client_for(world_a.user(Role.ADMIN)).get("/t/alpha/").status_code == 404


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (Role.ADMIN, ["Partners", "Members", "API keys", "Audit trail"], ["Team"]),
        (Role.FINANCE, ["Overview", "Partners"], ["Members", "API keys", "Audit trail", "Team"]),
        (Role.EXECUTIVE, ["Partners", "Audit trail"], ["Members", "API keys"]),
        (Role.PARTNER_USER, ["Our company", "Team"], ["Partners", "Members", "Audit trail"]),
    ],
)
def test_navigation_offers_only_the_pages_the_role_may_open(world_a, client_for, role, visible, hidden):
    response = client_for(world_a.user(role)).get("/t/alpha/", follow=True)
    match = re.search(
        r'<nav[^>]*aria-label="Main"[^>]*>(?P<links>.*?)</nav>', response.content.decode(), re.S
    )
    assert match is not None
    nav = match["links"]

    for label in visible:
        assert f">{label}</a>" in nav, label
    for label in hidden:
        assert f">{label}</a>" not in nav, label


def test_staff_see_every_partner_of_their_tenant_only(world_a, world_b, client_for):
    page = client_for(world_a.user(Role.FINANCE)).get("/t/alpha/partners/").content.decode()

    assert "ALPHA Partner One" in page
    assert "ALPHA Partner Two" in page
    assert "BRAVO" not in page


def test_portal_shows_the_members_own_company_and_colleagues_only(world_a, client_for):
    client = client_for(world_a.user(Role.PARTNER_USER))

    home = client.get("/t/alpha/portal/").content.decode()
    team = client.get("/t/alpha/portal/team/").content.decode()

    assert "ALPHA Partner One" in home
    assert "ALPHA Partner Two" not in home
    assert world_a.user(Role.PARTNER_ADMIN).email in team
    assert world_a.user("other_partner_user").email not in team
    assert world_a.user(Role.MANAGER).email not in team


def test_the_shared_permission_check_refuses_a_missing_caller(world_a):
    with pytest.raises(PermissionDenied, match="signed-in member or an API key"):
        require(None, Perm.VIEW_PROGRAM)
    with pytest.raises(PermissionDenied, match="may not do this"):
        require(world_a.access(Role.PARTNER_USER), Perm.MANAGE_MEMBERS)
    require(world_a.access(Role.ADMIN), Perm.MANAGE_MEMBERS)  # allowed: no exception
