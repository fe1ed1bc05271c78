"""The registration form forgives (issue 14): a past arrival date asks why, and the files chosen
before a validation error are still there when the clerk corrects it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.conftest import log_in
from tests.registry.test_pages import text_pdf


@pytest.mark.slow
def test_r_reg_3_past_arrival_asks_why_and_files_survive_an_error(page, live_server, tmp_path):
    scan = tmp_path / "appeal-scan.pdf"  # a text layer: no OCR to wait for
    scan.write_bytes(text_pdf("The appeal"))
    log_in(page, live_server, "clerk")
    page.goto(f"{live_server}/registry/new")
    reason = page.locator("#arrival-reason")
    assert reason.is_hidden()
    past = dt.date.today() - dt.timedelta(days=40)
    page.fill("[name=arrived_at]", f"{past.isoformat()}T10:00")
    assert reason.is_visible()  # shown as soon as the date is in the past
    page.fill("[name=applicants-0-full_name]", "Серикбаев Нурлан Аскарович")
    page.fill("[name=applicants-0-iin]", "850315301236")  # a wrong check digit
    page.fill("[name=applicants-0-address]", "г. Алматы, ул. Абая, 10, кв. 5")
    page.fill("[name=addressee]", "Акиму города Алматы")
    page.fill("[name=summary]", "Нет горячей воды в доме")
    page.set_input_files("[name=files]", str(scan))
    with page.expect_navigation():
        page.locator("#register-form button.primary[type=submit]").click()
    assert "appeal-scan.pdf" in page.locator("#kept-files").inner_text()
    assert reason.is_visible()  # the reason is asked for: the date is in the past
    page.fill("[name=applicants-0-iin]", "850315301235")
    page.fill("[name=arrival_reason]", "Найдено в почте закрытого филиала")
    with page.expect_navigation():
        page.locator("#register-form button.primary[type=submit]").click()
    assert "appeal-scan.pdf" in page.locator("#files").inner_text()  # attached, not lost
    assert "Найдено в почте закрытого филиала" in page.locator("main").inner_text()
