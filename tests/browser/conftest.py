"""Browser tests drive Debian's chromium through Playwright (never a downloaded browser).

On a laptop without chromium they are skipped; under CI (TOLLGATE_REQUIRE_SERVICES) a missing
browser fails.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import service_missing

# The pilot and packet worlds of the governance tests, shared by the journeys.
from tests.governance.conftest import (  # noqa: F401
    approved_assessment,
    approved_pilot,
    complete_pilot,
    evaluation,
    helix,
    make_pilot,
    metrics,
    pilot,
    render_packet_of,
    sign_pilot,
)

CHROMIUM = os.environ.get("TOLLGATE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TOLLGATE_TEST_ARTIFACTS", "var/test-artifacts"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# serialized_rollback: the flush after a transactional test would erase seeded data
# (checklist, metrics) that later tests rely on.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        service_missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop; Django refuses ORM calls inside one otherwise.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1800})
        yield context.new_page()
        context.close()
        browser.close()
