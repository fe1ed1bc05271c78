"""The slip's QR code in a real browser (issue 14 item 9): the address with the code in the URL
fragment opens the status at once, the code leaves the address bar, no login; in kk."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def served_item(make_app):
    """The demo app with one registered item, served on loopback: (base URL, number, code)."""
    from docflow.extensions import db
    from docflow.org.models import user_by_username
    from docflow.registry.operations import ApplicantData, RegistrationData, register

    app = make_app("demo")
    with app.app_context():
        item = register(
            RegistrationData(
                kind="statement",
                channel="by_hand",
                applicants=[ApplicantData(full_name="Омарова Әсел", address="Алматы қ., Абай 1")],
                addressee="Алматы қаласының әкімі",
                summary="Ыстық су жоқ",
                arrived_at=dt.datetime.now(dt.UTC),
            ),
            user_by_username("clerk"),
        )
        db.session.commit()
        number, code = item.reg_number, item.status_code
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", number, code
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_the_qr_address_shows_the_status_and_drops_the_code_from_the_address(browser, served_item):
    from urllib.parse import quote

    base, number, code = served_item
    context = browser.new_context(locale="kk-KZ")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        with page.expect_navigation():  # the page posts the form itself
            page.goto(f"{base}/public/status?number={quote(number)}&lang=kk#code={code}")
        page.locator("#status-state").wait_for()
        assert page.locator("#status-number").inner_text() == number
        assert page.locator("html").get_attribute("lang") == "kk"
        assert code not in page.url and "Омарова" not in page.content()
        page.go_back()  # the history kept the address without the code
        assert code not in page.url
    finally:
        context.close()
