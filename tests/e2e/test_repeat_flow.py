"""R-ROUTE-4 in a real browser: an unlinked repeat appeal is caught, shown, decided.

The same applicant writes again on the same question in other words and nobody links the
cases. The head of the subdivision opens the new appeal: the earlier case is listed as a
possible repeat and its executor is greyed out with the reason; the head dismisses it as
another question (with a reason) and can then assign that executor.
"""

from __future__ import annotations

import io
import os
import threading

import pytest
from werkzeug.serving import make_server

from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.operations import ApplicantData, RegistrationData, register
from docflow.routing import operations as ops
from tests.e2e.conftest import log_in
from tests.registry.conftest import almaty

SCREENSHOTS = os.environ.get("DOCFLOW_SCREENSHOTS")  # a folder to keep screenshots in


@pytest.fixture
def served_repeat(make_app):
    app = make_app("demo")
    with app.app_context():
        users = {n: user_by_username(n) for n in ("clerk", "controller", "head.energy")}
        executor = user_by_username("exec.energy")

        def appeal(summary: str, day: int):
            applicant = ApplicantData(
                full_name="Сейткали Марат Ержанович", iin="900101300811", address="Алматы, Абая 5"
            )
            data = RegistrationData(
                kind="statement",
                channel="post",
                applicants=[applicant],
                addressee="Аким города Алматы",
                summary=summary,
                arrived_at=almaty(2026, 11, day, 10, 0),
            )
            return register(data, users["clerk"])

        earlier = appeal("В доме по ул. Абая 5 нет горячей воды уже месяц", 2)
        ops.distribute(earlier, users["controller"], ["ENERGY"])
        ops.assign_executors(earlier, users["head.energy"], [executor.id])
        ops.submit_answer(
            earlier,
            executor,
            summary="Горячая вода подана.",
            filename="answer.pdf",
            stream=io.BytesIO(b"%PDF-1.4 answer"),
        )
        ops.approve_answer(earlier, users["head.energy"])
        new = appeal("Горячую воду так и не дали, горячего водоснабжения в квартире нет", 16)
        ops.distribute(new, users["controller"], ["ENERGY"])
        db.session.commit()
        ids = earlier.reg_number, new.public_id, executor.id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ids
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_r_route_4_unlinked_repeat_caught_shown_and_dismissed_in_the_browser(
    browser, served_repeat
):
    base, (earlier_number, new_id, executor_id) = served_repeat
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1100})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, base, "head.energy")
        page.goto(f"{base}/registry/{new_id}")
        section = page.locator("#repeat-candidates")
        assert earlier_number in section.inner_text()
        box = page.locator(f"input[name=executors][value='{executor_id}']")
        assert box.is_disabled()
        why = page.locator(f"#why-{executor_id}")
        # the rule in words, its id in the tooltip
        assert earlier_number in why.inner_text()
        assert "Rules of personal reception, para. 35" in why.inner_text()
        assert why.locator("abbr[title='R-ROUTE-4']").count() >= 1
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, "repeat-candidate.png"), full_page=True)
        dismiss = section.locator("form:has(input[name=decision][value=dismiss])")
        dismiss.locator("input[name=reason]").fill(
            "Another flat: the earlier case was about Abaya 7"
        )
        with page.expect_navigation():
            dismiss.locator("button[type=submit]").click()
        assert page.locator(".flash-error").count() == 0
        assert "Dismissed" in page.locator("#repeat-candidates").inner_text()
        box = page.locator(f"input[name=executors][value='{executor_id}']")
        assert not box.is_disabled()
        box.check()
        form = page.locator("form.assign-form")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator(".flash-error").count() == 0
        assert "Executors" in page.locator("section#routing").inner_text()
    finally:
        context.close()
