"""The admin pages in a real browser, in Kazakh and in Russian (issue 14): the administrator
creates a user with a local role (executor of ENERGY) through the pages, the new user logs in
with that password; the administrator adds a day off, which the calendar then lists."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from tests.e2e.conftest import log_in

PASSWORD = "new-user-password-2026"
SCREENSHOTS = os.environ.get("DOCFLOW_SCREENSHOTS")  # a folder to keep screenshots in


def shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def choose_language(page, lang: str) -> None:
    with page.expect_navigation():
        page.locator(f"ul.langs button[lang={lang}]").click()
    assert page.locator("html").get_attribute("lang") == lang


def log_out(page) -> None:
    with page.expect_navigation():
        page.locator("form[action='/logout'] button").click()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_admin_creates_a_user_with_a_local_role_who_logs_in(page, live_server, lang):
    log_in(page, live_server, "admin")
    choose_language(page, lang)
    page.locator("#nav-admin").click()
    page.wait_for_url(f"{live_server}/admin/")
    page.locator("#admin-users-link").click()
    page.locator("#new-user").click()
    page.wait_for_url(f"{live_server}/admin/users/new")
    assert page.locator("html").get_attribute("lang") == lang
    shot(page, f"admin-new-user-{lang}")
    form = page.locator("#new-user-form")
    username = f"asel.{lang}"
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=full_name]").fill("Әсел Қайратқызы Омарова")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("select[name=local_role]").select_option("executor")
    energy = form.locator("select[name=local_subdivision] option", has_text="ENERGY")
    form.locator("select[name=local_subdivision]").select_option(energy.get_attribute("value"))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert re.search(r"/admin/users/\d+$", page.url)
    shot(page, f"admin-user-{lang}")
    roles = page.locator("#roles table")
    assert "ENERGY" in roles.inner_text()
    assert page.locator("html").get_attribute("lang") == lang
    # the list finds the new user
    page.goto(f"{live_server}/admin/users?q={username}")
    assert page.locator(f"[id='user-{username}']").count() == 1
    log_out(page)
    log_in(page, live_server, username, PASSWORD)
    assert page.locator(".whoami").inner_text() == "Әсел Қайратқызы Омарова"
    # an executor sees no administration
    assert page.locator("#nav-admin").count() == 0
    assert page.goto(f"{live_server}/admin/users").status == 403


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_admin_adds_a_day_off(page, live_server, lang):
    log_in(page, live_server, "admin")
    choose_language(page, lang)
    page.goto(f"{live_server}/admin/calendar")
    today = dt.date.fromisoformat(
        page.locator("#calendar-form input[name=effective_from]").input_value()
    )
    day = today + dt.timedelta(days=10 if lang == "kk" else 11)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    form = page.locator("#calendar-form")
    form.locator("input[name=day]").fill(day.isoformat())
    form.locator("select[name=kind]").select_option("off")
    form.locator("input[name=note]").fill("Үкімет қаулысы / Постановление №1")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator(".flash-error").count() == 0
    page.goto(f"{live_server}/admin/calendar?year={day.year}")
    shot(page, f"admin-calendar-{lang}")
    row = page.locator(f"#day-{day.isoformat()}")
    assert row.count() == 1
    assert "Постановление №1" in row.inner_text()
    assert page.locator("html").get_attribute("lang") == lang
