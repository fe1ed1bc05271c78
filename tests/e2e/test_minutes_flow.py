"""Minutes in, in a real browser: upload the sample Russian minutes, check the preview, confirm,
and the executors see the assignments on their dashboards (R-PROT-1..3)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import log_in

MINUTES = Path(__file__).resolve().parent.parent / "protocols" / "data" / "minutes-ru-table.docx"


def test_upload_confirm_minutes_and_executors_see_them(browser, live_server):
    controller = browser.new_context(locale="ru-RU")
    page = controller.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "controller")
    page.goto(f"{live_server}/reception/minutes/upload")
    page.set_input_files("input[name=file]", str(MINUTES))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # The preview: three assignments, each executor matched with its certainty, item 4 explained.
    cards = page.locator("section.assignment")
    assert cards.count() == 3
    assert "ENERGY" in cards.nth(0).inner_text() and "Серикбаев" in cards.nth(0).inner_text()
    assert "HOUSING" in cards.nth(1).inner_text() and "ALMALY" in cards.nth(1).inner_text()
    assert page.locator("#due-1").input_value() == "2026-10-30"
    assert "4" in page.locator("form#confirm-minutes").inner_text()
    # The sample's terms have passed: flagged, and confirmed as they are only when asked to.
    assert page.locator(".overdue-term").count() == 3
    page.locator("input[name=overdue_confirmed]").check()
    with page.expect_navigation():
        page.locator("form#confirm-minutes button[type=submit]").click()
    assert "3" in page.locator(".flash-info").inner_text()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 3
    controller.close()
    # The head of the Energy department sees the assignment among the subdivision's items.
    head = browser.new_context(locale="ru-RU")
    page = head.new_page()
    log_in(page, live_server, "head.energy")
    page.goto(f"{live_server}/routing/")
    section = page.locator("#subdivision-items")
    assert (
        "Отсутствие горячего" in section.inner_text()
        or "горячего водоснабжения" in section.inner_text()
    )
    head.close()
    # The head of Housing too (responsible), and the Almaly district akimat is co-executor.
    housing = browser.new_context(locale="ru-RU")
    page = housing.new_page()
    log_in(page, live_server, "head.edu")
    page.goto(f"{live_server}/routing/")
    assert (
        "горячего водоснабжения" not in page.locator("#subdivision-items").inner_text()
    )  # not EDU's
    housing.close()
