"""The clerk in a real browser: register a paper letter with its scan, find it by a scanned word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import log_in

SCAN = Path(__file__).resolve().parent.parent / "registry" / "data" / "scan-ru-image.pdf"


@pytest.mark.slow
def test_register_paper_letter_with_scan_and_find_it_by_a_scanned_word(page, live_server):
    log_in(page, live_server, "clerk")
    page.goto(f"{live_server}/registry/new")
    # Keyboard-first: the kind select has the focus on arrival.
    assert page.evaluate("document.activeElement.name") == "kind"
    page.select_option("[name=kind]", "complaint")
    page.select_option("[name=channel]", "post")
    page.select_option("[name=language]", "ru")
    page.fill("[name=applicants-0-full_name]", "Серикбаев Нурлан Аскарович")
    page.fill("[name=applicants-0-iin]", "850315301235")
    page.fill("[name=applicants-0-address]", "г. Алматы, ул. Абая, 10, кв. 5")
    page.fill("[name=addressee]", "Акиму города Алматы")
    page.fill("[name=summary]", "Жалоба на отсутствие горячей воды")
    page.fill("[name=page_count]", "1")
    page.set_input_files("[name=files]", str(SCAN))
    with page.expect_navigation():
        page.locator("#register-form button.primary[type=submit]").click()
    heading = page.locator("h1").inner_text()
    number = re.search(r"ЖТ-\d{4}-\d{8}", heading).group(0)
    assert number in page.locator(".flash").inner_text()
    # The scan was read (OCR) and its first page previewed.
    files = page.locator("#files")
    assert "scan-ru-image.pdf" in files.inner_text()
    assert files.locator("img.preview").count() == 1
    # The receipt slip is offered at once.
    assert page.locator(".actions-now a").first.get_attribute("href").endswith("/slip.pdf")
    # Find it in the journal by a word that is only in the scanned image, not in the summary.
    page.goto(f"{live_server}/registry/")
    page.fill("[name=q]", "водоснабжения")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.locator("table.journal tbody tr")
    assert rows.count() == 1
    assert number in rows.first.inner_text()
    page.get_by_role("link", name=number).click()
    assert number in page.locator("h1").inner_text()
