"""The inline viewer in a real browser (ru): the clerk opens a PDF of an item from its page; the
PDF is shown in a frame of the viewer page (framed by our own page only), not downloaded."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry import operations
from docflow.registry.operations import ApplicantData, RegistrationData, register
from tests.e2e.conftest import log_in
from tests.registry.conftest import almaty

SCREENSHOTS = os.environ.get("DOCFLOW_SCREENSHOTS")  # a folder to keep screenshots in
PDF = Path(__file__).resolve().parent.parent / "registry" / "data" / "letter-kk-text.pdf"


@pytest.fixture
def served_item(make_app):
    app = make_app("demo")
    with app.app_context():
        clerk = user_by_username("clerk")
        item = register(
            RegistrationData(
                kind="statement",
                channel="post",
                applicants=[ApplicantData(full_name="Омарова Әсел", address="Алматы, Абая 5")],
                addressee="Аким города Алматы",
                summary="Нет горячей воды",
                arrived_at=almaty(2026, 11, 16, 10, 0),
            ),
            clerk,
        )
        with PDF.open("rb") as fh:
            att = operations.attach(item, PDF.name, fh, clerk, content_type="application/pdf")
        db.session.commit()
        ids = item.public_id, att.public_id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ids
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_clerk_views_a_pdf_inline_from_the_item_page(browser, served_item):
    base, (item_id, file_id) = served_item
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        refused = []
        page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
        log_in(page, base, "clerk")
        page.goto(f"{base}/registry/{item_id}")
        assert page.locator("html").get_attribute("lang") == "ru"
        inline = f"/registry/{item_id}/files/{file_id}?inline=1"
        with page.expect_response(lambda r: r.url.endswith(inline)) as framed:
            page.locator(f"#files tr[data-file='{file_id}'] a.view-file").click()
        page.wait_for_url(f"{base}/registry/{item_id}/files/{file_id}/view")
        response = framed.value
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert "attachment" not in response.headers.get("content-disposition", "")
        frame = page.locator("#file-viewer iframe#file-frame")
        assert frame.get_attribute("src") == inline
        assert PDF.name in page.locator("h1").inner_text()
        # the browser framed it: the frame is at the file, not on an error page
        child = next(f for f in page.frames if f is not page.main_frame)
        assert child.url == base + inline
        assert not refused, refused
        if SCREENSHOTS:
            page.wait_for_timeout(1000)  # the PDF viewer draws the first page
            page.screenshot(path=os.path.join(SCREENSHOTS, "file-viewer-ru.png"), full_page=True)
        page.locator("main a", has_text="←").click()
        page.wait_for_url(f"{base}/registry/{item_id}#files")
    finally:
        context.close()
