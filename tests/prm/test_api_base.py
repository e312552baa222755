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
