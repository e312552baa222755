from prm.permissions import Role


def test_admin_lands_on_tenant_overview(world_a, client_for):
    response = client_for(world_a.user(Role.ADMIN)).get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/t/alpha/"
    assert b"ALPHA Vendor" in response.content
