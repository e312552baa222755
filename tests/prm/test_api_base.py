"""The API base fails closed: sealed querysets, CSRF for sessions, services that check the tenant."""

import pytest
from django.http import Http404
from django.test import Client

from prm import services
from prm.api import TenantViewSet
from prm.models import Membership
from prm.permissions import Role


def test_a_viewset_cannot_get_its_queryset_from_a_mixin():
    class LeakyMixin:
        def get_queryset(self):
            return Membership.objects.all()

    with pytest.raises(TypeError, match="base_queryset"):

        class LeakyViewSet(LeakyMixin, TenantViewSet):
            model = Membership


def test_session_writes_to_the_api_need_the_csrf_token(world_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world_a.user(Role.ADMIN))
    target = world_a.members[Role.MANAGER]
    response = client.post(f"/api/v1/t/alpha/members/{target.pk}/role/", {"role": "finance"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    target.refresh_from_db()
    assert target.role == Role.MANAGER


def test_membership_services_refuse_a_member_of_another_tenant(world_a, world_b):
    admin_a = world_a.access(Role.ADMIN)
    bravo_manager = world_b.members[Role.MANAGER]
    with pytest.raises(Http404):
        services.membership_change_role(access=admin_a, membership=bravo_manager, role=Role.FINANCE)
    with pytest.raises(Http404):
        services.membership_deactivate(access=admin_a, membership=bravo_manager)
    bravo_manager.refresh_from_db()
    assert (bravo_manager.role, bravo_manager.is_active) == (Role.MANAGER, True)


def test_a_query_error_about_no_field_is_an_object_like_every_400(world_a, client_for):
    client = client_for(world_a.user(Role.ADMIN))
    response = client.get("/api/v1/t/alpha/members/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Null characters are not allowed."]}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("registrations/", {"account": "0.5"}),
        ("registrations/", {"account": "3.4e38"}),
        ("revenue-records/", {"partner": str(2**70)}),
        ("partners/", {"tier": str(2**70)}),
    ],
)
def test_an_id_filter_takes_ids_a_database_can_hold_and_names_the_parameter(world_a, client_for, path, query):
    client = client_for(world_a.user(Role.ADMIN))
    response = client.get(f"/api/v1/t/alpha/{path}", query)
    assert response.status_code == 400
    assert list(response.json()) == list(query)


def test_an_unknown_api_path_answers_the_json_404(world_a, client_for, settings):
    settings.DEBUG = True  # whose own not-found page is HTML
    client = client_for(world_a.user(Role.ADMIN))
    for method in (client.get, client.post):
        response = method("/api/v1/t/alpha/partners/0.5/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
