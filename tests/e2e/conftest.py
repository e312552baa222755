"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

Every test here is marked ``browser``. Without /usr/bin/chromium they are skipped with a plain
reason (and CI, which fails on any skip, says so). Playwright cannot download its own browser on
these machines, so the system one is launched explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.prm.factories import PASSWORD

# Playwright's sync API runs an event loop in the test thread; without this the ORM (used by the
# fixtures that build the data) raises SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).resolve().parent


def pytest_configure(config):
    # pytest-playwright 0.10 declares its session ``base_url`` fixture on a plugin class; pytest 9
    # warns about that on every run. Not ours to fix; keep the report clean.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning",
    )


def pytest_collection_modifyitems(config, items):
    skip = (
        None if CHROMIUM.exists() else pytest.mark.skip(reason=f"browser tests need chromium at {CHROMIUM}")
    )
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture
def login(page, live_server):
    """``login(email)``: sign in through allauth's form, return the page where it lands."""

    def sign_in(email: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("domcontentloaded")
        return page

    return sign_in


def _is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text


@pytest.fixture(autouse=True)
def csp_violations(request):
    """Every browser test fails if a page it opened broke the Content-Security-Policy (an inline
    script, a script from elsewhere). Yields the list, so a test can inspect it."""
    if "page" not in request.fixturenames:
        yield []
        return
    page = request.getfixturevalue("page")
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text) if _is_csp_violation(message.text) else None)
    yield seen
    if not getattr(request.node, "expects_csp_violation", False):
        assert not seen, f"Content-Security-Policy violations: {seen}"
