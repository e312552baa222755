"""Accounts through django-allauth: e-mail login, codes by e-mail, TOTP, rate limits, no sign-up."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.urls import reverse

from prm.permissions import Role
from tests.prm.factories import PASSWORD


def _login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _current_totp(secret):
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_a_member_signs_in_with_email_and_password_and_lands_in_their_tenant(world_a, client):
    response = _login(client, "admin@alpha.example")
    assert response.status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/t/alpha/"


def test_wrong_password_is_refused_with_a_message(world_a, client):
    response = _login(client, "admin@alpha.example", "not-the-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_failed_logins_are_rate_limited_even_for_the_right_password_afterwards(world_a, client):
    for _ in range(5):
        _login(client, "manager@alpha.example", "wrong-password")
    response = _login(client, "manager@alpha.example")
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_partner_signs_in_with_a_code_sent_by_email(world_a, client):
    response = client.post(reverse("account_request_login_code"), {"email": "partner-user@alpha.example"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert "PRM" in message.body
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/t/alpha/portal/"


def test_there_is_no_open_sign_up(db, client):
    response = client.post(
        reverse("account_signup"),
        {"email": "stranger@example.com", "password1": "a-long-password-1", "password2": "a-long-password-1"},
    )
    assert response.status_code == 200
    assert "invitation" in response.content.decode().lower()  # the closed-sign-up page says how to join
    from prm.models import User

    assert not User.objects.filter(email="stranger@example.com").exists()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.PARTNER_USER])
def test_any_user_can_turn_on_totp_and_then_needs_a_code_to_sign_in(world_a, client, role):
    email = world_a.user(role).email
    _login(client, email)
    # Turning on 2FA asks for the password again (allauth's reauthentication).
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": _current_totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=world_a.user(role), type=Authenticator.Type.TOTP).exists()

    client.post(reverse("account_logout"))
    response = _login(client, email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": _current_totp(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world_a.user(role).pk)
