"""The shell in a real browser: log in, switch language by keyboard, log out."""

from __future__ import annotations

import re


def test_login_switch_language_and_logout(page, live_server):
    from tests.e2e.conftest import log_in

    log_in(page, live_server, "controller")
    assert page.locator("html").get_attribute("lang") == "ru"  # Accept-Language of the browser
    assert page.locator("h1").inner_text() == "Моя работа"
    # Keyboard only: the language buttons are reachable and operable.
    kk = page.locator("ul.langs button[lang=kk]")
    kk.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("h1").inner_text() == "Менің жұмысым"
    with page.expect_navigation():
        page.locator("ul.langs button[lang=en]").click()
    assert page.locator("h1").inner_text() == "My work"
    assert re.search(r"Әлия Серікқызы Нұрланова", page.content())
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login$"))
    page.goto(f"{live_server}/")
    assert "/login" in page.url  # the session is gone
