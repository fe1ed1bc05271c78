"""The reception end to end in a real browser, in Russian (issue 14 item 5): the controller signs
a registered request up, proposes today's reception, includes the applicant in the list, marks
the reception held and records the decision with executor and term; the executor named then
finds the request among their items (R-PROT-1, R-ROUTE-4's door)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.e2e.conftest import log_in

SUMMARY = "Нет горячей воды третью неделю, дом 12"


@pytest.fixture
def reception_server(make_app) -> Iterator[str]:
    """The demo app with a registered request for reception and a reception of the akim today."""
    from docflow.core.calendar import get_calendar
    from docflow.extensions import db
    from docflow.org.models import Official, user_by_username
    from docflow.protocols.models import ReceptionSession
    from docflow.protocols.workflow import SESSION
    from docflow.registry.operations import ApplicantData, RegistrationData, register

    app = make_app("demo")
    with app.app_context():
        controller = user_by_username("controller")
        akim = db.session.scalar(db.select(Official).where(Official.code == "AKIM"))
        s = ReceptionSession(
            official_id=akim.id,
            date=get_calendar().local_now().date(),
            start=dt.time(9, 0),
            end=dt.time(9, 30),
            slot_minutes=15,
        )
        db.session.add(s)
        SESSION.initialize(s, controller)
        register(
            RegistrationData(
                kind="reception_request",
                channel="by_hand",
                applicants=[
                    ApplicantData(
                        full_name="Серикбаев Нурлан Аскарович",
                        iin="850315301235",
                        address="Алматы, Абай 10",
                    )
                ],
                addressee="Аким города Алматы",
                summary=SUMMARY,
            ),
            user_by_username("clerk"),
        )
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_request_to_assignment_visible_to_the_executor(browser, reception_server):
    base = reception_server
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, "controller")
    # The request waits for sign-up: sign it up with the akim.
    page.goto(f"{base}/reception/")
    row = page.locator("#waiting tr", has_text="Серикбаев")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    # Propose today's reception.
    with page.expect_navigation():
        page.locator("form[action$='/propose_date'] button[type=submit]").click()
    # The next step is offered: include the applicant in the list.
    with page.expect_navigation():
        page.locator("#include-in-list").click()
    assert "Серикбаев" in page.locator("#queue").inner_text()
    # Mark the reception held.
    with page.expect_navigation():
        page.locator("#hold-session").click()
    assert page.locator("#hold-session").count() == 0
    # The decision with executor, employee and term.
    visit = page.locator("#queue form").first
    visit.locator("input[name=identity_document]").fill("Удостоверение личности № 012345678")
    visit.locator("input[name=outcome]").fill("Восстановить горячее водоснабжение")
    visit.locator("select[name=executors]").select_option("ENERGY")
    visit.locator("select[name=employees]").select_option("exec.energy")
    visit.locator("input[name=due]").fill((dt.date.today() + dt.timedelta(days=21)).isoformat())
    with page.expect_navigation():
        visit.locator("button[name=came][value='1']").click()
    result = page.locator(".visit-result").inner_text()
    assert "ENERGY" in result  # the request went to the executor, no longer awaiting distribution
    assert page.locator("#make-minutes").count() == 1  # and the minutes are the next step
    context.close()
    # The executor named sees it among their items.
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, "exec.energy")
    page.goto(f"{base}/routing/")
    assert "горячей воды" in page.locator("#my-items").inner_text()
    context.close()
