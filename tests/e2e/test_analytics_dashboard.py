"""The analytics dashboard in a real browser (R-AUDIT-2): the department head opens it, sees that
heating complaints jumped in one district last fortnight, clicks through to the cases and
downloads the quarterly note."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.analytics.appeal_bank import appeal
from tests.e2e.conftest import log_in


def _record(n: int, day: dt.date, district: str, topic: str, rng: random.Random) -> str:
    at = f"{day.isoformat()}T10:{n % 60:02d}:00+05:00"
    language = rng.choice(["kk", "ru"])
    return json.dumps(
        {
            "reg_number": f"ЖТ-E2E-{n:06d}",
            "kind": "complaint",
            "channel": "eotinish",
            "language": language,
            "received_at": at,
            "registered_at": at,
            "applicants": [{"type": "individual", "full_name": f"Заявитель {n}"}],
            "summary": appeal(rng, topic, language, "dev"),
            "district": district,
            "topic": None,
            "events": [],
        },
        ensure_ascii=False,
    )


@pytest.fixture
def served(make_app) -> Iterator[tuple[str, list[str]]]:
    from docflow.core.calendar import get_calendar
    from docflow.exchange.importer import import_cases
    from docflow.extensions import db

    app = make_app("demo")
    rng = random.Random(7)
    with app.app_context():
        today = get_calendar().local_now().date()
        lines, burst, n = [], [], 0
        for back in range(20, 240):  # the usual: now and then, every district, two topics
            for district in ("MEDEU", "AUEZOV", "ALMALY"):
                for topic in ("heating", "waste"):
                    if rng.random() < 0.06:
                        n += 1
                        lines.append(
                            _record(n, today - dt.timedelta(days=back), district, topic, rng)
                        )
        for k in range(11):  # last fortnight in Auezov: heating, far above its usual rate
            n += 1
            burst.append(f"ЖТ-E2E-{n:06d}")
            lines.append(_record(n, today - dt.timedelta(days=1 + k), "AUEZOV", "heating", rng))
        import_cases(lines, "e-otinish")
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", burst
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_r_audit_2_heating_jump_found_clicked_and_note_downloaded(browser, served):
    base, burst = served
    context = browser.new_context(locale="ru-RU", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    log_in(page, base, "controller")
    page.goto(f"{base}/")
    page.locator("nav.mainnav a[href='/analytics/']").click()
    page.wait_for_url(f"{base}/analytics/")
    assert page.locator("#timeline svg").count() == 1
    first = page.locator("#problems tbody tr").first
    text = first.inner_text()
    assert "Ауэзов" in text and "Отопление" in text, text
    with page.expect_navigation():
        first.locator("a").first.click()
    assert "11" in page.locator("#total").inner_text()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 11
    listed = page.locator("main table").inner_text()
    assert all(number in listed for number in burst)
    with page.expect_navigation():
        rows.first.locator("a").first.click()
    assert "ЖТ-E2E-" in page.locator("main").inner_text()
    page.go_back()
    page.goto(f"{base}/analytics/")
    link = page.locator("#reports a[href*='quarterly_petitions.docx'][href*='lang=ru']")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("quarterly_petitions-")
    assert download.suggested_filename.endswith("-ru.docx")
    context.close()
