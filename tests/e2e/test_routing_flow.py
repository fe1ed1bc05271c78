"""Routing in a real browser: clerk → controller → head → executor → head → controller.

R-ROUTE-1 (the controller sends the item to the subdivision), R-ROUTE-3 (the head picks the
executor), R-ANS-2 (the head approves the answer), R-CTRL-1 (removed from control on it).
Each user works in their own browser context (own cookies), as on separate computers.
"""

from __future__ import annotations

import re

from tests.e2e.conftest import log_in

ANSWER_PDF = b"%PDF-1.4\n% answer to the applicant\n"


def test_r_route_1_r_ctrl_1_routing_walkthrough_controller_head_executor(browser, live_server):
    base = live_server
    contexts = []

    def as_user(username: str):
        context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, base, username)
        return page

    def routing(page):
        return page.locator("section#routing")

    def submit(page, form):
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        errors = page.locator(".flash-error")
        assert errors.count() == 0, errors.all_inner_texts()

    def state(page) -> str:
        return page.locator("h1 .badge").first.get_attribute("class")

    try:
        # The clerk registers a paper letter.
        clerk = as_user("clerk")
        clerk.goto(f"{base}/registry/new")
        clerk.select_option("[name=kind]", "statement")
        clerk.select_option("[name=channel]", "post")
        clerk.select_option("[name=language]", "ru")
        clerk.fill("[name=applicants-0-full_name]", "Серикбаев Нурлан Аскарович")
        clerk.fill("[name=applicants-0-iin]", "850315301235")
        clerk.fill("[name=applicants-0-address]", "г. Алматы, ул. Абая, 10, кв. 5")
        clerk.fill("[name=addressee]", "Акиму города Алматы")
        clerk.fill("[name=summary]", "Нет отопления в доме по ул. Абая, 10")
        clerk.fill("[name=page_count]", "1")
        with clerk.expect_navigation():
            clerk.locator("#register-form button.primary[type=submit]").click()
        item_url = clerk.url.split("?")[0]
        assert re.search(r"/registry/[^/]+$", item_url), item_url
        assert "state-registered" in state(clerk)

        # The controller sends it to the energy department.
        controller = as_user("controller")
        controller.goto(item_url)
        form = routing(controller).locator("form[action$='/distribute']")
        form.locator("select[name=responsible]").select_option("ENERGY")
        submit(controller, form)
        assert "state-distributed" in state(controller)
        assert "ENERGY" in routing(controller).locator("dl.facts").inner_text()

        # The head of the energy department ticks exec.energy and saves.
        head = as_user("head.energy")
        head.goto(item_url)
        form = routing(head).locator("form.assign-form")
        form.locator("label.candidate", has_text="Ерлан Маратұлы Төлеубаев").locator(
            "input[type=checkbox]"
        ).check()
        submit(head, form)
        assert "state-in_work" in state(head)
        assert "Ерлан Маратұлы Төлеубаев" in routing(head).locator("dl.facts").inner_text()

        # The executor uploads the answer.
        executor = as_user("exec.energy")
        executor.goto(item_url)
        form = routing(executor).locator("form[action$='/answer']")
        form.locator("textarea[name=summary]").fill(
            "Отопление восстановлено 20.11.2026, акт прилагается."
        )
        form.locator("input[name=file]").set_input_files(
            {"name": "answer.pdf", "mimeType": "application/pdf", "buffer": ANSWER_PDF}
        )
        submit(executor, form)
        assert "state-answer_review" in state(executor)

        # The head approves it.
        head.goto(item_url)
        assert "Отопление восстановлено" in routing(head).inner_text()
        submit(head, routing(head).locator("form[action$='/do/approve']"))
        assert "state-answered" in state(head)

        # The controller removes it from control.
        controller.goto(item_url)
        submit(controller, routing(controller).locator("form[action$='/do/close']"))
        badge = controller.locator("h1 .badge").first
        assert "state-closed" in badge.get_attribute("class")
        assert badge.inner_text().strip()
        assert routing(controller).locator("form").count() == 0
    finally:
        for context in contexts:
            context.close()
