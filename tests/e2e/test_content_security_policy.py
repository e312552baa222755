"""The app's pages keep a strict Content-Security-Policy: scripts only from the app's own files.
(Every browser test also fails on a violation: see ``csp_violations`` in conftest.)"""

import re

from playwright.sync_api import expect

from prm.permissions import Role


def test_pages_send_the_policy_and_their_scripts_work_under_it(world_a, login, live_server, page):
    login(world_a.user(Role.ADMIN).email)
    response = page.goto(f"{live_server.url}/t/alpha/settings/api-keys/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in re.search(r"script-src[^;]*", policy).group(0)
    # The app's own script file ran: it binds behaviour by data attributes.
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def test_an_injected_inline_script_is_refused_and_reported(
    world_a, login, live_server, page, request, csp_violations
):
    request.node.expects_csp_violation = True
    login(world_a.user(Role.MANAGER).email)
    page.goto(f"{live_server.url}/t/alpha/partners/")

    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )

    assert page.evaluate("window.injected") is None
    expect(page.locator("body")).to_be_visible()
    assert csp_violations, "the browser should report the refused inline script"


def test_the_api_docs_page_runs_under_the_policy(world_a, login, live_server, page):
    login(world_a.user(Role.ADMIN).email)
    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui")).to_be_visible(timeout=15_000)
