"""Every page an Admin can reach from the menu (and the pages they lead to), in one phone-sized
Chromium: nothing scrolls sideways at 390 px, axe-core finds nothing serious or critical, and
every control the keyboard reaches shows a focus ring. Each page is visited once.
"""

from urllib.parse import quote

import pytest
from django.utils import timezone

from api import tokens
from channels.models import Kind
from executions.models import Watch
from incidents.models import Incident
from monitors.models import Finding
from routing import routes
from tests.builders import recorded_delivery, watch
from tests.channels.builders import make_channel
from tests.dashboard.test_browser import log_in
from tests.incidents.test_grouping import failing
from tests.monitors.builders import everything

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}

# Every control a keyboard can reach, focused in turn: those that show no focus ring, an
# opaque outline at least 2 px wide (Pico's own rings are half-transparent box shadows, faint
# or missing on some buttons). Run after a Tab press: Chromium then treats each focus() as
# keyboard focus (:focus-visible), as it would the next Tab; one call per page, not one per key.
UNFOCUSED = """() => {
  const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex], [role=button]";
  const problems = [];
  for (const el of document.querySelectorAll(controls)) {
    if (el.disabled || el.tabIndex < 0 || !el.getClientRects().length) continue;
    if (getComputedStyle(el).visibility !== "visible") continue;
    el.focus();
    if (document.activeElement !== el) continue;
    const s = getComputedStyle(el);
    const opaque = /^rgb\\(/.test(s.outlineColor) || /^rgba\\(.*, 1\\)$/.test(s.outlineColor);
    const ring = !["none", "hidden"].includes(s.outlineStyle) && parseFloat(s.outlineWidth) >= 2 && opaque;
    if (!ring || !el.matches(":focus-visible")) {
      const label = (el.textContent || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30);
      problems.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " '" + label + "'");
    }
  }
  return problems;
}"""

# The page's width, and the innermost elements that stick out of the screen (to name in a failure).
WIDTH = """(screen) => {
  const out = Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > screen + 1 && !el.querySelector("*"))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\\s+/g, ".") : "")
         + " to " + Math.round(el.getBoundingClientRect().right) + " px");
  return {width: document.documentElement.scrollWidth, out: out};
}"""


def _page_data(admin):
    """What makes each page show its real content: rows, an incident, a monitor, a channel, a token."""
    for name in ("Send client welcome pack", "Annual review reminder"):
        watch(admin, name=name, status="completed", account_name="Jane Client")
    Watch.objects.create(user=admin, execution=failing(client="Gareth Thompson"))
    recorded_delivery(admin)
    monitor = everything(admin, name="Everything")
    for w in Watch.objects.filter(user=admin):
        Finding.objects.get_or_create(monitor=monitor, execution=w.execution, defaults={"found_at": timezone.now()})
    channel = make_channel(admin, Kind.EMAIL, "ops@example.com", name="Ops mailbox")
    tokens.create_token(admin, "A token for the reporting script, with a long name")
    execution = Watch.objects.filter(user=admin).first().execution
    # Two routes, after the incidents opened: the routes page shows its Move up/down buttons.
    for name in ("Paraplanning team's blueprints", "Every failure"):
        routes.create(name=name, family="failed", user_names=[admin.username], actor=admin)
    return {
        "monitor": monitor.pk,
        "incident": Incident.objects.order_by("pk").first().pk,
        "channel": channel.pk,
        "execution": execution.uuid,
        "blueprint": quote(execution.name),
    }


def _focus_problems(page):
    page.keyboard.press("Tab")
    return page.evaluate(UNFOCUSED)


def test_every_page_fits_a_phone_passes_axe_and_shows_focus(transactional_db, browser, live_server, admin):
    ids = _page_data(admin)
    page = browser.page
    page.set_viewport_size(PHONE)

    # Before signing in: the login page.
    page.goto(f"{live_server.url}/accounts/login/")
    findings = {"/accounts/login/": browser.accessibility_findings()}
    widths = {"/accounts/login/": page.evaluate(WIDTH, PHONE["width"])}
    focus = {"/accounts/login/": _focus_problems(page)}
    log_in(page, live_server, admin)

    paths = [
        "/overview/", "/", "/monitors/", f"/monitors/{ids['monitor']}/", "/monitors/new/",
        f"/monitors/{ids['monitor']}/edit/",
        "/incidents/", f"/incidents/{ids['incident']}/", "/alerts/", "/alerts/settings/",
        "/channels/", "/channels/add/", "/channels/add/?kind=webhook", f"/channels/{ids['channel']}/",
        "/api-tokens/", "/accounts/profile/", "/accounts/2fa/", "/poll-health/", "/audit/",
        f"/executions/{ids['execution']}/", "/connections/",
        f"/blueprint/{ids['blueprint']}", f"/reports/?period=week&end={timezone.localdate()}",
        "/reports/?period=month", "/api/v1/docs", "/privacy/rules/", "/routing/routes/",
    ]
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, (path, response.status)
        page.wait_for_load_state("load")
        if path == "/api/v1/docs":
            page.wait_for_selector(".opblock", timeout=15_000)  # Swagger UI drew the operations
        widths[path] = page.evaluate(WIDTH, PHONE["width"])
        findings[path] = browser.accessibility_findings()
        focus[path] = _focus_problems(page)

    too_wide = {path: width for path, width in widths.items() if width["width"] > PHONE["width"]}
    serious = {path: found for path, found in findings.items() if found}
    unfocused = {path: found for path, found in focus.items() if found}
    report = [
        f"wider than {PHONE['width']} px: {path} ({width['width']} px: {', '.join(width['out'])})"
        for path, width in too_wide.items()
    ]
    report += [f"axe-core, {path}: {line}" for path, lines in serious.items() for line in lines]
    report += [f"no visible focus indicator, {path}: {line}" for path, lines in unfocused.items() for line in lines]
    assert not report, "\n".join(report)
    assert browser.errors == [], f"console errors: {browser.errors}"
