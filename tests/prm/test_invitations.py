"""Invitations: an admin (or a partner admin, for colleagues) invites by e-mail, and the e-mailed
link turns into a membership: for a new person who sets a password or opts for e-mailed codes,
or for someone who already has a login and accepts while signed in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from prm.models import AuditEvent, Invitation, Membership, User, hash_secret
from prm.permissions import Role
from prm.tasks import expire_invitations
from tests.prm.factories import InvitationFactory, TenantFactory

LINK = re.compile(r"https?://[^\s/]+(?P<path>/invitations/(?P<slug>[a-z0-9-]+)/(?P<token>[A-Za-z0-9_-]+)/)")
NEW_PASSWORD = "sturdy-lantern-4711"


@pytest.fixture
def invite(client_for, django_capture_on_commit_callbacks):
    """POST the invitation form as a member of ``world`` (the admin by default) and let the
    e-mail go out as it does after a real request's transaction commits."""

    def send(world, *, email, role, partner=None, as_role=Role.ADMIN, page="members/"):
        data = {"email": email, "role": role}
        if partner is not None:
            data["partner"] = partner.pk
        client = client_for(world.user(as_role))
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/t/{world.tenant.slug}/{page}", data)

    return send


def mailed_link(to: str) -> tuple[str, str]:
    """The invitation link (path, token) in the last e-mail, which must be addressed to ``to``."""
    message = mail.outbox[-1]
    assert message.to == [to]
    match = LINK.search(message.body)
    assert match is not None, message.body
    return match["path"], match["token"]


def accept_as_new_person(path: str, **data) -> tuple[Client, object]:
    client = Client()
    return client, client.post(path, data)


def pending(tenant, in_tenant, email):
    with in_tenant(tenant):
        return list(Invitation.objects.filter(email=email, status=Invitation.Status.PENDING))


# --- sending ---------------------------------------------------------------------------------


def test_admin_invitation_emails_a_one_time_link_to_the_invitee(world_a, invite, in_tenant):
    response = invite(world_a, email="New.Manager@Example.com", role=Role.MANAGER)

    assert response.status_code == 302
    assert response["Location"] == "/t/alpha/members/"
    assert len(mail.outbox) == 1
    assert "ALPHA Vendor" in mail.outbox[0].subject
    path, token = mailed_link("new.manager@example.com")
    assert path.startswith("/invitations/alpha/")
    with in_tenant(world_a.tenant):
        invitation = Invitation.objects.get(email="new.manager@example.com")
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.role == Role.MANAGER
    assert invitation.token_hash == hash_secret(token)
    assert token not in invitation.token_hash


@pytest.mark.django_db(transaction=True)
def test_invitation_email_goes_out_when_the_real_request_commits(world_a, client_for, in_tenant):
    """No test transaction around the request here: the e-mail is sent on commit, as in production."""
    response = client_for(world_a.user(Role.ADMIN)).post(
        "/t/alpha/members/", {"email": "committed@example.com", "role": Role.MANAGER}
    )

    assert response.status_code == 302
    path, _ = mailed_link("committed@example.com")
    assert Client().get(path).status_code == 200


def test_pending_invitation_is_listed_on_the_members_page(
    world_a, client_for, django_capture_on_commit_callbacks
):
    admin = client_for(world_a.user(Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/t/alpha/members/", {"email": "waiting@example.com", "role": Role.FINANCE})

    page = admin.get("/t/alpha/members/")

    assert page.status_code == 200
    assert b"waiting@example.com" in page.content
    assert b"Invitation sent to waiting@example.com." in page.content


def test_inviting_an_active_member_is_refused_on_the_email_field(world_a, invite, in_tenant):
    manager_email = world_a.user(Role.MANAGER).email

    response = invite(world_a, email=manager_email.upper(), role=Role.FINANCE)

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["This person is already a member of this tenant."]
    assert mail.outbox == []
    assert pending(world_a.tenant, in_tenant, manager_email) == []


def test_partner_role_without_a_partner_is_refused_on_the_partner_field(world_a, invite, in_tenant):
    response = invite(world_a, email="nopartner@example.com", role=Role.PARTNER_USER)

    assert response.status_code == 400
    assert response.context["form"].errors["partner"] == ["A partner role must name the partner company."]
    assert b'id="id_partner_error"' in response.content
    assert mail.outbox == []
    assert pending(world_a.tenant, in_tenant, "nopartner@example.com") == []


def test_staff_role_with_a_partner_is_refused_on_the_partner_field(world_a, invite):
    response = invite(world_a, email="staff@example.com", role=Role.MANAGER, partner=world_a.partner)

    assert response.status_code == 400
    assert "partner" in response.context["form"].errors
    assert mail.outbox == []


def test_admin_cannot_invite_to_a_partner_of_another_tenant(world_a, world_b, invite, in_tenant):
    response = invite(world_a, email="spy@example.com", role=Role.PARTNER_USER, partner=world_b.partner)

    assert response.status_code == 400
    assert "partner" in response.context["form"].errors
    assert mail.outbox == []
    assert pending(world_a.tenant, in_tenant, "spy@example.com") == []


def test_inviting_again_replaces_the_pending_invitation(world_a, invite, in_tenant):
    invite(world_a, email="twice@example.com", role=Role.MANAGER)
    first_path, _ = mailed_link("twice@example.com")
    invite(world_a, email="twice@example.com", role=Role.FINANCE)
    second_path, _ = mailed_link("twice@example.com")

    assert first_path != second_path
    with in_tenant(world_a.tenant):
        statuses = dict(Invitation.objects.filter(email="twice@example.com").values_list("role", "status"))
    assert statuses == {Role.MANAGER: Invitation.Status.REVOKED, Role.FINANCE: Invitation.Status.PENDING}
    assert Client().get(first_path).status_code == 404
    assert Client().get(second_path).status_code == 200


def test_partner_admin_invites_a_colleague_of_their_own_company_only(world_a, invite, in_tenant):
    # A forged partner field naming the other company is ignored: the partner is the inviter's own.
    response = invite(
        world_a,
        email="colleague@example.com",
        role=Role.PARTNER_USER,
        partner=world_a.other_partner,
        as_role=Role.PARTNER_ADMIN,
        page="portal/team/",
    )

    assert response.status_code == 302
    assert response["Location"] == "/t/alpha/portal/team/"
    path, _ = mailed_link("colleague@example.com")
    [invitation] = pending(world_a.tenant, in_tenant, "colleague@example.com")
    assert invitation.partner_id == world_a.partner.pk
    assert invitation.invited_by == world_a.user(Role.PARTNER_ADMIN)

    client, accepted = accept_as_new_person(path, password1=NEW_PASSWORD, password2=NEW_PASSWORD)
    assert accepted.status_code == 302
    membership = Membership.objects.get(user__email="colleague@example.com", tenant=world_a.tenant)
    assert (membership.role, membership.partner_id) == (Role.PARTNER_USER, world_a.partner.pk)
    assert client.get("/t/alpha/", follow=True).redirect_chain[-1][0] == "/t/alpha/portal/"


def test_partner_admin_cannot_invite_staff_roles(world_a, invite, in_tenant):
    response = invite(
        world_a, email="wannabe@example.com", role=Role.ADMIN, as_role=Role.PARTNER_ADMIN, page="portal/team/"
    )

    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    assert mail.outbox == []
    assert pending(world_a.tenant, in_tenant, "wannabe@example.com") == []


def test_partner_admin_cannot_cancel_a_staff_invitation_by_inviting_the_same_address(
    world_a, invite, in_tenant
):
    """A partner admin may not revoke the admin's invitation for a staff role, so inviting the same
    address from the portal must not replace (revoke) it either."""
    invite(world_a, email="future-cfo@example.com", role=Role.FINANCE)
    staff_link, _ = mailed_link("future-cfo@example.com")

    invite(
        world_a,
        email="future-cfo@example.com",
        role=Role.PARTNER_USER,
        as_role=Role.PARTNER_ADMIN,
        page="portal/team/",
    )

    [still_open] = pending(world_a.tenant, in_tenant, "future-cfo@example.com")
    assert (still_open.role, still_open.partner_id) == (Role.FINANCE, None)
    assert Client().get(staff_link).status_code == 200


def test_partner_user_cannot_invite_colleagues(world_a, invite, client_for, in_tenant):
    page = client_for(world_a.user(Role.PARTNER_USER)).get("/t/alpha/portal/team/")
    assert page.status_code == 200
    assert b"Invite a colleague" not in page.content

    response = invite(
        world_a,
        email="sneaky@example.com",
        role=Role.PARTNER_USER,
        as_role=Role.PARTNER_USER,
        page="portal/team/",
    )

    assert response.status_code == 404
    assert mail.outbox == []
    assert pending(world_a.tenant, in_tenant, "sneaky@example.com") == []


def test_partner_admin_cannot_revoke_an_invitation_for_another_partner(
    world_a, invite, client_for, in_tenant
):
    invite(world_a, email="other-co@example.com", role=Role.PARTNER_USER, partner=world_a.other_partner)
    [invitation] = pending(world_a.tenant, in_tenant, "other-co@example.com")

    response = client_for(world_a.user(Role.PARTNER_ADMIN)).post(
        f"/t/alpha/invitations/{invitation.pk}/revoke/"
    )

    assert response.status_code == 404
    assert len(pending(world_a.tenant, in_tenant, "other-co@example.com")) == 1


# --- accepting as a new person ---------------------------------------------------------------


def test_new_person_accepts_by_choosing_a_password_and_can_sign_in_with_it(world_a, invite):
    invite(world_a, email="newbie@example.com", role=Role.MANAGER)
    path, _ = mailed_link("newbie@example.com")

    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert b"Join ALPHA Vendor" in page.content
    assert b"Partner manager" in page.content

    response = client.post(
        path, {"full_name": "Nina Newbie", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/t/alpha/"
    assert client.get("/t/alpha/").status_code == 200  # signed in straight away
    user = User.objects.get(email="newbie@example.com")
    assert user.full_name == "Nina Newbie"
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.filter(
        user=user, email="newbie@example.com", verified=True, primary=True
    ).exists()
    membership = Membership.objects.get(user=user, tenant=world_a.tenant)
    assert (membership.role, membership.partner_id, membership.is_active) == (Role.MANAGER, None, True)

    fresh = Client()
    login = fresh.post("/accounts/login/", {"login": "newbie@example.com", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert fresh.get("/t/alpha/").status_code == 200


def test_new_person_may_skip_the_password_and_use_emailed_codes(world_a, invite):
    invite(world_a, email="codes@example.com", role=Role.PARTNER_USER, partner=world_a.partner)
    path, _ = mailed_link("codes@example.com")

    client, response = accept_as_new_person(path, use_codes="on")

    assert response.status_code == 302
    user = User.objects.get(email="codes@example.com")
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    membership = Membership.objects.get(user=user, tenant=world_a.tenant)
    assert (membership.role, membership.partner_id) == (Role.PARTNER_USER, world_a.partner.pk)
    assert client.get("/t/alpha/portal/").status_code == 200


def test_new_person_must_choose_a_password_or_codes(world_a, invite, in_tenant):
    invite(world_a, email="undecided@example.com", role=Role.MANAGER)
    path, _ = mailed_link("undecided@example.com")

    # What a browser sends when nothing was filled in (the unticked box is left out).
    _, no_choice = accept_as_new_person(path, full_name="", password1="", password2="")
    _, mismatch = accept_as_new_person(path, password1=NEW_PASSWORD, password2=NEW_PASSWORD + "x")

    assert no_choice.status_code == 400
    assert "password1" in no_choice.context["form"].errors
    assert mismatch.status_code == 400
    assert mismatch.context["form"].errors["password2"] == ["The two passwords differ."]
    assert not User.objects.filter(email="undecided@example.com").exists()
    assert len(pending(world_a.tenant, in_tenant, "undecided@example.com")) == 1


def test_invitation_link_works_only_once(world_a, invite, in_tenant):
    invite(world_a, email="once@example.com", role=Role.MANAGER)
    path, _ = mailed_link("once@example.com")
    accept_as_new_person(path, use_codes="on")

    again = Client().get(path)

    assert again.status_code == 404
    assert b"This invitation link does not work" in again.content
    with in_tenant(world_a.tenant):
        invitation = Invitation.objects.get(email="once@example.com")
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_by == User.objects.get(email="once@example.com")


# --- links that do not work -------------------------------------------------------------------


def test_made_up_token_shows_the_invalid_link_page(world_a):
    response = Client().get("/invitations/alpha/not-a-real-token/")

    assert response.status_code == 404
    assert b"This invitation link does not work" in response.content


def test_expired_invitation_link_shows_the_invalid_link_page(world_a):
    InvitationFactory(
        tenant=world_a.tenant,
        email="late@example.com",
        token_hash=hash_secret("late-token"),
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    response = Client().post("/invitations/alpha/late-token/", {"use_codes": "on"})

    assert response.status_code == 404
    assert b"This invitation link does not work" in response.content
    assert not User.objects.filter(email="late@example.com").exists()


def test_revoked_invitation_link_shows_the_invalid_link_page(world_a, invite, client_for, in_tenant):
    invite(world_a, email="withdrawn@example.com", role=Role.MANAGER)
    path, _ = mailed_link("withdrawn@example.com")
    [invitation] = pending(world_a.tenant, in_tenant, "withdrawn@example.com")

    revoke = client_for(world_a.user(Role.ADMIN)).post(f"/t/alpha/invitations/{invitation.pk}/revoke/")
    assert revoke.status_code == 302

    response = Client().post(path, {"use_codes": "on"})
    assert response.status_code == 404
    assert not User.objects.filter(email="withdrawn@example.com").exists()


def test_invitation_link_does_not_work_under_another_tenants_address(world_a, world_b, invite):
    invite(world_a, email="crossed@example.com", role=Role.MANAGER)
    _, token = mailed_link("crossed@example.com")

    assert Client().get(f"/invitations/bravo/{token}/").status_code == 404
    assert Client().get(f"/invitations/no-such-tenant/{token}/").status_code == 404


def test_invitation_link_of_an_inactive_tenant_does_not_work(world_a, invite):
    invite(world_a, email="closed@example.com", role=Role.MANAGER)
    path, _ = mailed_link("closed@example.com")
    world_a.tenant.is_active = False
    world_a.tenant.save()

    assert Client().get(path).status_code == 404


# --- accepting with an existing login -----------------------------------------------------------


def test_existing_user_who_is_not_signed_in_is_sent_to_sign_in_first(world_a, world_b, invite):
    email = world_b.user(Role.FINANCE).email
    invite(world_a, email=email, role=Role.FINANCE)
    path, _ = mailed_link(email)

    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
    assert not Membership.objects.filter(tenant=world_a.tenant, user__email=email).exists()


def test_signed_in_invitee_accepts_with_a_post(world_a, world_b, invite, client_for, in_tenant):
    person = world_b.user(Role.PARTNER_ADMIN)
    invite(world_a, email=person.email, role=Role.PARTNER_ADMIN, partner=world_a.other_partner)
    path, _ = mailed_link(person.email)
    client = client_for(person)

    page = client.get(path)
    assert page.status_code == 200
    assert b"Accept invitation" in page.content
    assert not Membership.objects.filter(tenant=world_a.tenant, user=person).exists()

    response = client.post(path)

    assert response.status_code == 302
    assert response["Location"] == "/t/alpha/"
    membership = Membership.objects.get(tenant=world_a.tenant, user=person)
    assert (membership.role, membership.partner_id) == (Role.PARTNER_ADMIN, world_a.other_partner.pk)
    assert client.get("/t/alpha/portal/").status_code == 200
    # Their other membership is untouched: one login, two programs.
    assert Membership.objects.get(tenant=world_b.tenant, user=person).is_active
    assert pending(world_a.tenant, in_tenant, person.email) == []


def test_signed_in_as_someone_else_gets_an_error_and_the_invitation_stays_open(
    world_a, world_b, invite, client_for, in_tenant
):
    invite(world_a, email="rightful@example.com", role=Role.MANAGER)
    path, _ = mailed_link("rightful@example.com")
    intruder = world_b.user(Role.MANAGER)

    response = client_for(intruder).post(path, follow=True)

    assert (
        "This invitation is for rightful@example.com. Sign in with that address." in response.content.decode()
    )
    assert not Membership.objects.filter(tenant=world_a.tenant, user=intruder).exists()
    assert len(pending(world_a.tenant, in_tenant, "rightful@example.com")) == 1


def test_deactivated_member_can_be_invited_back_and_keeps_one_membership(world_a, invite, client_for):
    old = world_a.members[Role.FINANCE]
    client_for(world_a.user(Role.ADMIN)).post(f"/t/alpha/members/{old.pk}/deactivate/")
    old.refresh_from_db()
    assert not old.is_active

    invite(world_a, email=old.user.email, role=Role.EXECUTIVE)
    path, _ = mailed_link(old.user.email)
    client = client_for(old.user)
    response = client.post(path)

    assert response.status_code == 302
    old.refresh_from_db()
    assert (old.is_active, old.role, old.deactivated_at) == (True, Role.EXECUTIVE, None)
    assert Membership.objects.filter(tenant=world_a.tenant, user=old.user).count() == 1
    assert client.get("/t/alpha/audit/").status_code == 200


# --- audit and expiry --------------------------------------------------------------------------


def test_invitation_lifecycle_is_recorded_in_the_audit_trail(world_a, invite, in_tenant):
    admin = world_a.user(Role.ADMIN)
    invite(world_a, email="audited@example.com", role=Role.MANAGER)
    invite(world_a, email="audited@example.com", role=Role.FINANCE)
    path, _ = mailed_link("audited@example.com")
    accept_as_new_person(path, use_codes="on")

    with in_tenant(world_a.tenant):
        events = list(AuditEvent.objects.order_by("created_at", "id"))
        first, second = Invitation.objects.filter(email="audited@example.com").order_by("created_at", "id")
    membership = Membership.objects.get(user__email="audited@example.com")

    summary = [(e.verb, e.target_type, e.target_id, e.actor_id) for e in events]
    joiner = membership.user_id
    assert summary == [
        ("invitation.created", "prm.invitation", str(first.pk), admin.pk),
        ("invitation.revoked", "prm.invitation", str(first.pk), admin.pk),
        ("invitation.created", "prm.invitation", str(second.pk), admin.pk),
        ("membership.joined", "prm.membership", str(membership.pk), joiner),
    ]
    assert events[0].after == {"email": "audited@example.com", "role": "manager", "partner_id": None}
    assert (events[1].before, events[1].after) == ({"status": "pending"}, {"status": "revoked"})
    assert events[3].after["role"] == "finance"
    assert events[3].after["invitation"] == second.pk


def test_expire_invitations_marks_only_stale_invitations_of_its_tenant(world_a, world_b, in_tenant):
    past = timezone.now() - timedelta(hours=1)
    stale = InvitationFactory(tenant=world_a.tenant, email="stale@example.com", expires_at=past)
    InvitationFactory(tenant=world_a.tenant, email="fresh@example.com")
    InvitationFactory(
        tenant=world_a.tenant, email="done@example.com", expires_at=past, status=Invitation.Status.ACCEPTED
    )
    elsewhere = InvitationFactory(tenant=world_b.tenant, email="stale@example.com", expires_at=past)

    first_run = expire_invitations.delay(tenant_id=world_a.tenant.pk).get()
    second_run = expire_invitations.delay(tenant_id=world_a.tenant.pk).get()

    assert (first_run, second_run) == (1, 0)
    with in_tenant(world_a.tenant):
        statuses = dict(Invitation.objects.values_list("email", "status"))
        expiry_events = list(AuditEvent.objects.filter(verb="invitation.expired"))
    assert statuses == {
        "stale@example.com": Invitation.Status.EXPIRED,
        "fresh@example.com": Invitation.Status.PENDING,
        "done@example.com": Invitation.Status.ACCEPTED,
    }
    assert [(e.target_id, e.actor_label) for e in expiry_events] == [(str(stale.pk), "system")]
    with in_tenant(world_b.tenant):
        assert Invitation.objects.get(pk=elsewhere.pk).status == Invitation.Status.PENDING


def test_expired_invitation_no_longer_blocks_a_new_one(world_a, invite, in_tenant):
    InvitationFactory(
        tenant=world_a.tenant, email="again@example.com", expires_at=timezone.now() - timedelta(days=1)
    )
    expire_invitations.delay(tenant_id=world_a.tenant.pk).get()

    response = invite(world_a, email="again@example.com", role=Role.MANAGER)

    assert response.status_code == 302
    path, _ = mailed_link("again@example.com")
    assert Client().get(path).status_code == 200


def test_invitation_for_an_empty_tenant_is_not_visible_to_another(world_a, invite, in_tenant):
    empty = TenantFactory(slug="charlie")
    invite(world_a, email="scoped@example.com", role=Role.MANAGER)

    with in_tenant(empty):
        assert not Invitation.objects.filter(email="scoped@example.com").exists()
    assert len(pending(world_a.tenant, in_tenant, "scoped@example.com")) == 1


def test_a_link_under_an_unknown_tenant_looks_like_any_other_broken_link(world_a):
    unknown = Client().get("/invitations/no-such-tenant/made-up-token/")
    known = Client().get("/invitations/alpha/made-up-token/")
    assert unknown.status_code == known.status_code == 404

    def without_csrf(body: bytes) -> bytes:
        return re.sub(rb'(X-CSRFToken": "|csrfmiddlewaretoken" value=")[^"]+', rb"\1", body)

    assert without_csrf(unknown.content) == without_csrf(known.content)


def test_partner_admins_invite_partner_users_unless_they_choose_otherwise(world_a, client_for):
    response = client_for(world_a.user(Role.PARTNER_ADMIN)).get("/t/alpha/portal/team/")
    role_field = response.context["form"]["role"]
    assert role_field.value() in (None, "")
    assert next(value for value, _ in role_field.field.choices) == Role.PARTNER_USER


def test_pending_invitations_are_paginated_on_the_members_page(world_a, client_for):
    for i in range(30):
        InvitationFactory(tenant=world_a.tenant, email=f"bulk{i:02d}@example.com")
    client = client_for(world_a.user(Role.ADMIN))
    first = client.get("/t/alpha/members/")
    assert first.context["invitations"].paginator.count == 30
    assert len(first.context["invitations"].object_list) == 25
    second = client.get("/t/alpha/members/?invitations_page=2")
    assert len(second.context["invitations"].object_list) == 5
    assert "invitations_page=1" in second.content.decode()


def test_a_partner_admin_cannot_bring_back_a_member_the_vendor_deactivated(world_a, in_tenant):
    from prm import services

    colleague = world_a.members[Role.PARTNER_USER]
    with in_tenant(world_a.tenant):
        services.membership_deactivate(access=world_a.access(Role.ADMIN), membership=colleague)
    with in_tenant(world_a.tenant), pytest.raises(ValidationError) as excinfo:
        services.invitation_create(
            access=world_a.access(Role.PARTNER_ADMIN),
            email=colleague.user.email,
            role=Role.PARTNER_USER,
            partner_id=world_a.partner.pk,
        )
    assert excinfo.value.message_dict["email"] == [
        "This address cannot be invited from the portal. Ask your partner manager."
    ]


def test_the_portal_says_the_same_for_vendor_staff_and_for_strangers_invited_elsewhere(world_a, in_tenant):
    from prm import services

    admin, partner_admin = world_a.access(Role.ADMIN), world_a.access(Role.PARTNER_ADMIN)
    with in_tenant(world_a.tenant):
        services.invitation_create(access=admin, email="future-cfo@example.com", role=Role.FINANCE)
        messages = []
        for email in (world_a.user(Role.FINANCE).email, "future-cfo@example.com"):
            with pytest.raises(ValidationError) as excinfo:
                services.invitation_create(
                    access=partner_admin, email=email, role=Role.PARTNER_USER, partner_id=world_a.partner.pk
                )
            messages.append(excinfo.value.message_dict["email"])
    assert messages[0] == messages[1]


def test_api_partner_admin_naming_another_partner_gets_a_400_naming_the_field(world_a, client_for):
    client = client_for(world_a.user(Role.PARTNER_ADMIN))

    response = client.post(
        "/api/v1/t/alpha/invitations/",
        {"email": "colleague@example.com", "role": "partner_user", "partner_id": world_a.other_partner.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "partner_id" in response.json()
    assert not Invitation.all_tenants.filter(email="colleague@example.com").exists()


def test_api_partner_admin_invites_to_their_own_company_with_or_without_naming_it(world_a, client_for):
    client = client_for(world_a.user(Role.PARTNER_ADMIN))

    named = client.post(
        "/api/v1/t/alpha/invitations/",
        {"email": "one@example.com", "role": "partner_user", "partner_id": world_a.partner.pk},
        content_type="application/json",
    )
    unnamed = client.post(
        "/api/v1/t/alpha/invitations/",
        {"email": "two@example.com", "role": "partner_user"},
        content_type="application/json",
    )

    assert (named.status_code, unnamed.status_code) == (201, 201)
    assert named.json()["partner_id"] == unnamed.json()["partner_id"] == world_a.partner.pk
