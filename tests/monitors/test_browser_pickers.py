"""In Chromium: a monitor by blueprint or client without knowing a UUID by heart: pickers
filled from what is stored, and Plannr links pasted where a UUID is asked for."""

import re
import uuid as uuid_lib

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from monitors.models import Monitor, Scope
from simulator import stories
from tests.builders import make_execution
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser]


def test_pick_clients_and_paste_plannr_links_for_blueprint_and_client_monitors(
    transactional_db, browser, live_server, simulator, owner
):
    from playwright.sync_api import expect

    owner.user_permissions.add(Permission.objects.get(codename="manage_monitors"))
    known = stories.BLUEPRINTS[1]
    Monitor.objects.create(name="Known", scope=Scope.BLUEPRINT, blueprint_uuid=known.uuid,
                           blueprint_name=known.name, start_at=timezone.now())
    alice, bob, carol = (uuid_lib.uuid4() for _ in range(3))
    make_execution(client="Alice Archer", account_uuid=alice)
    make_execution(client="Bob Brown", account_uuid=bob)

    page = browser.page
    sign_in(page, live_server, owner, "/monitors/new/")
    expect(page).to_have_url(re.compile(r"/monitors/new/$"))

    # The blueprint picker: names with their uuids, from the monitors already made.
    option = page.locator(f'#blueprints-seen option[value="{known.uuid}"]')
    expect(option).to_have_text(known.name)
    expect(page.locator("#id_blueprint_uuid")).to_have_attribute("list", "blueprints-seen")
    # The clients picker: the clients seen, by name, with their uuids.
    expect(page.locator("#id_clients_seen option")).to_have_text(
        [f"Alice Archer · {alice}", f"Bob Brown · {bob}"]
    )
    page.check("input[name=scope][value=clients]")
    page.select_option("#id_clients_seen", [str(alice), str(bob)])
    page.fill("#id_client_uuids", f"https://app.plannrcrm.com/clients/{carol}/overview")
    page.click("#save-monitor")
    expect(page.locator("h1#monitor-heading")).to_be_visible()
    monitor = Monitor.objects.get(scope=Scope.CLIENTS)
    assert set(monitor.client_uuids) == {str(alice), str(bob), str(carol)}

    # A blueprint by its Plannr link: the UUID is taken out, and Plannr names it.
    blueprint = stories.BLUEPRINTS[2]
    page.goto(f"{live_server.url}/monitors/new/")
    page.check("input[name=scope][value=blueprint]")
    page.fill("#id_blueprint_uuid", f"https://app.plannrcrm.com/automations/{blueprint.uuid}/edit")
    page.click("#save-monitor")
    expect(page.locator("h1#monitor-heading")).to_be_visible()
    made = Monitor.objects.get(scope=Scope.BLUEPRINT, blueprint_uuid=blueprint.uuid)
    assert made.blueprint_name == blueprint.name
    browser.screenshot("blueprint-monitor")
    assert browser.errors == [], browser.errors
