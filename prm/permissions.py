"""Roles and what each may do: one table, read by pages and the API alike.

The table is the design's role matrix. Views ask ``access.can(Perm.X)``; API viewsets name the
permission per action; nothing else decides who may do what.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Program admin"
    MANAGER = "manager", "Partner manager"
    FINANCE = "finance", "Finance"
    EXECUTIVE = "executive", "Executive"
    PARTNER_ADMIN = "partner_admin", "Partner admin"
    PARTNER_USER = "partner_user", "Partner user"


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.EXECUTIVE})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})


class Perm(models.TextChoices):
    # Staff side
    VIEW_PROGRAM = "view_program", "See every partner of the tenant"
    MANAGE_PARTNERS = "manage_partners", "Create and edit partners"
    DECIDE_DEALS = "decide_deals", "Decide deal registrations"
    MANAGE_PLANS = "manage_plans", "Write joint business plans and reviews"
    SIGN_OFF_PLANS = "sign_off_plans", "Sign off plans as executive sponsor"
    DECIDE_MDF_REQUESTS = "decide_mdf_requests", "Decide MDF requests"
    APPROVE_MONEY = "approve_money", "Approve claims, payouts and rebate statements"
    VIEW_REPORTS = "view_reports", "See dashboards and reports"
    MANAGE_PROGRAM = "manage_program", "Program settings: tiers, scorecard, funds, rebates"
    DECIDE_TIER_CHANGES = "decide_tier_changes", "Approve or reject tier change proposals"
    MANAGE_MEMBERS = "manage_members", "Invite members, change roles, deactivate"
    MANAGE_API_KEYS = "manage_api_keys", "Create and revoke API keys"
    VIEW_AUDIT = "view_audit", "Read the audit trail"
    # Partner side
    USE_PORTAL = "use_portal", "Work in the partner portal"
    EDIT_OWN_PARTNER = "edit_own_partner", "Edit the own company's profile, contacts and certifications"
    INVITE_COLLEAGUES = "invite_colleagues", "Invite colleagues of the own partner"
    APPROVE_OWN_PLAN = "approve_own_plan", "Edit the own company's part of a shared plan and approve it"


_STAFF_READ = {Perm.VIEW_PROGRAM, Perm.VIEW_REPORTS}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        _STAFF_READ
        | {
            Perm.MANAGE_PARTNERS,
            Perm.DECIDE_DEALS,
            Perm.MANAGE_PLANS,
            Perm.DECIDE_MDF_REQUESTS,
            Perm.MANAGE_PROGRAM,
            Perm.DECIDE_TIER_CHANGES,
            Perm.MANAGE_MEMBERS,
            Perm.MANAGE_API_KEYS,
            Perm.VIEW_AUDIT,
        }
    ),
    Role.MANAGER: frozenset(
        _STAFF_READ | {Perm.MANAGE_PARTNERS, Perm.DECIDE_DEALS, Perm.MANAGE_PLANS, Perm.DECIDE_MDF_REQUESTS}
    ),
    Role.FINANCE: frozenset(_STAFF_READ | {Perm.APPROVE_MONEY}),
    Role.EXECUTIVE: frozenset(_STAFF_READ | {Perm.SIGN_OFF_PLANS, Perm.DECIDE_TIER_CHANGES, Perm.VIEW_AUDIT}),
    Role.PARTNER_ADMIN: frozenset(
        {Perm.USE_PORTAL, Perm.INVITE_COLLEAGUES, Perm.EDIT_OWN_PARTNER, Perm.APPROVE_OWN_PLAN}
    ),
    Role.PARTNER_USER: frozenset({Perm.USE_PORTAL}),
}

# Roles a partner admin may hand out to colleagues.
ROLES_PARTNER_ADMIN_MAY_GRANT = frozenset(PARTNER_ROLES)


def role_has_perm(role: str, perm: str) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
