"""The home counters and their queues in a real browser (issue 14 item 2): the head (in Kazakh)
clicks "awaiting my approval" and the controller (in Russian) "awaiting removal from control";
each list has as many rows as the counter said, and the counter is not zero."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import fake_iin
from tests.e2e.conftest import log_in
from tests.e2e.test_admin_pages import choose_language, shot
from tests.registry.conftest import almaty


def _world() -> None:
    """Two answers waiting for head.energy, one item answered for the controller to remove."""
    from docflow.extensions import db
    from docflow.org.models import user_by_username
    from docflow.registry.operations import ApplicantData, RegistrationData, register
    from docflow.routing import operations as ops

    u = {n: user_by_username(n) for n in ("clerk", "controller", "head.energy", "exec.energy")}
    for n, until in enumerate(("answer_review", "answer_review", "answered"), start=1):
        item = register(
            RegistrationData(
                kind="statement",
                channel="post",
                applicants=[
                    ApplicantData(
                        full_name=f"Серікбаев Нұрлан {n}",
                        iin=fake_iin(500 + n),
                        address=f"Алматы қ., Абай даңғ. {n}",
                    )
                ],
                addressee="Алматы қаласының әкімі",
                summary=f"Жылу жоқ, үй {n}",
                arrived_at=almaty(2026, 11, 16, 10, n),
            ),
            u["clerk"],
        )
        ops.distribute(item, u["controller"], ["ENERGY"])
        ops.assign_executors(item, u["head.energy"], [u["exec.energy"].id])
        ops.submit_answer(
            item,
            u["exec.energy"],
            summary="Жылу берілді.",
            filename="answer.pdf",
            stream=io.BytesIO(b"%PDF-1.4 answer"),
        )
        if until == "answered":
            ops.approve_answer(item, u["head.energy"])
    db.session.commit()


@pytest.fixture
def served(make_app) -> Iterator[str]:
    app = make_app("demo")
    with app.app_context():
        _world()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    "who, lang, slug",
    [("head.energy", "kk", "awaiting-approval"), ("controller", "ru", "awaiting-removal")],
)
def test_the_home_counter_leads_to_as_many_rows(browser, served, who, lang, slug):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, served, who)
        choose_language(page, lang)
        counter = page.locator(f"#counter-{slug}")
        count = int(counter.get_attribute("data-count"))
        assert count > 0
        assert counter.inner_text().strip() == str(count)
        with page.expect_navigation():
            counter.click()
        assert page.url.endswith(f"/queues/{slug}")
        assert page.locator("html").get_attribute("lang") == lang
        shot(page, f"queue-{slug}-{lang}")
        assert page.locator("#queue-rows tbody tr").count() == count
        assert page.locator("#queue-total").inner_text().strip() == str(count)
    finally:
        context.close()
