"""Routing through the pages, one role after another (R-ROUTE-*, R-CTRL-*, R-DEADLINE-2, R-ANS-2).

Each user has their own test client (and session); pages are requested in English so the
assertions can name the texts the user reads.
"""

from __future__ import annotations

import datetime as dt
import io

import lxml.html
import pytest
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.core.workflow import history
from docflow.extensions import db
from docflow.registry.operations import link_items
from docflow.routing import operations as ops
from docflow.routing.models import Answer, Extension, Forwarding
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def as_user(app):
    """``as_user("controller")`` → a test client logged in as that demo user (English pages)."""
    clients: dict = {}

    def get(username: str):
        if username not in clients:
            c = app.test_client()
            c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
            r = c.post("/login", data={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code in (302, 303), f"login as {username} failed"
            clients[username] = c
        return clients[username]

    return get


def url(item) -> str:
    return f"/registry/{item.public_id}"


def tree(response):
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.get_data(as_text=True))


def view(c, item):
    return tree(c.get(url(item)))


def post(c, path: str, data=None, **kw):
    """POST a routing form and follow the redirect back to the item page."""
    return tree(c.post(path, data=data or {}, follow_redirects=True, **kw))


def cls(name: str) -> str:
    """XPath test for an element having the CSS class ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def flashes(doc, category: str) -> list[str]:
    return [
        e.text_content().strip()
        for e in doc.xpath(f"//*[{cls('flash')} and {cls('flash-' + category)}]")
    ]


def panel(doc):
    found = doc.xpath("//section[@id='routing']")
    assert found, "the routing panel is missing"
    return found[0]


def forms(doc, suffix: str):
    return [f for f in panel(doc).xpath(".//form") if (f.get("action") or "").endswith(suffix)]


def badge(doc) -> str:
    return doc.xpath(f"//h1//*[{cls('badge')}]")[0].get("class")


def reload(item):
    db.session.expire_all()
    return item


@pytest.fixture
def committed(make_item, routed):
    """Set-up through the operations, committed so that the pages see it."""

    def make(until: str | None = None, **kw):
        item = routed(until, **kw) if until else make_item()
        db.session.commit()
        return item

    return make


# --- the whole path, role by role -------------------------------------------------------


def test_full_path_through_the_pages_r_route_1_3_r_ans_2_r_ctrl_1(as_user, committed, users):
    item = committed()
    base = f"/routing/{item.public_id}"

    # The controller sees the distribute form on the registered item and sends it (R-ROUTE-1, -3).
    controller = as_user("controller")
    doc = view(controller, item)
    (form,) = forms(doc, "/distribute")
    options = [o.get("value") for o in form.xpath(".//select[@name='responsible']/option")]
    assert "ENERGY" in options and "ALMALY" in options
    assert not forms(doc, "/assign")  # the controller does not pick executors here
    doc = post(
        controller, f"{base}/distribute", {"responsible": "ENERGY", "co_executors": ["ALMALY"]}
    )
    assert flashes(doc, "info") == ["Sent to ENERGY."]
    assert "state-distributed" in badge(doc)
    # Distributed: only "send to another subdivision" remains, and it needs a reason.
    (redistribute,) = forms(doc, "/distribute")
    assert redistribute.xpath(".//textarea[@name='comment']")[0].get("required") is not None
    reload(item)
    assert item.state == "distributed"
    assert [(d.subdivision.code, d.responsible) for d in ops.distributions(item)] == [
        ("ENERGY", True),
        ("ALMALY", False),
    ]

    # The head of the energy department sees the assign form listing the department's staff.
    head = as_user("head.energy")
    doc = view(head, item)
    (form,) = forms(doc, "/assign")
    boxes = {
        int(b.get("value")): b for b in form.xpath(".//input[@type='checkbox'][@name='executors']")
    }
    energy = {users[n].id for n in ("head.energy", "exec.energy", "exec2.energy")}
    assert set(boxes) == energy  # only ENERGY staff, not exec.edu
    assert not any(b.get("disabled") is not None for b in boxes.values())  # no earlier case
    assert "Energy and Water Supply Department" in panel(doc).text_content()

    # Another subdivision's head may not even open the item, nor assign on it.
    other = as_user("head.edu")
    assert other.get(url(item)).status_code == 403
    r = other.post(f"{base}/assign", data={"executors": [users["exec.edu"].id], "kind": "assign"})
    assert r.status_code == 403
    reload(item)
    assert item.state == "distributed" and ops.active_executors(item) == []

    doc = post(head, f"{base}/assign", {"executors": [users["exec.energy"].id], "kind": "assign"})
    assert flashes(doc, "info") == ["Executors assigned."]
    assert "state-in_work" in badge(doc)
    assert "Ерлан Маратұлы Төлеубаев" in panel(doc).xpath(".//dl")[0].text_content()
    reload(item)
    assert [(a.user_id, a.responsible) for a in ops.active_executors(item)] == [
        (users["exec.energy"].id, True)
    ]

    # The executor attaches the answer (multipart: summary + file).
    executor = as_user("exec.energy")
    doc = view(executor, item)
    (form,) = forms(doc, "/answer")
    assert form.get("enctype") == "multipart/form-data"
    assert not forms(doc, "/do/approve")  # the executor does not approve his own answer
    doc = post(
        executor,
        f"{base}/answer",
        {
            "summary": "Жылу берілді, акт қоса беріледі.",
            "final": "y",
            "file": (io.BytesIO(b"%PDF-1.4 answer"), "answer.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert flashes(doc, "info") == ["The answer is sent to the head for approval."]
    assert "state-answer_review" in badge(doc)
    reload(item)
    answer = ops.current_answer(item)
    assert (answer.status, answer.author_id, answer.final) == (
        "submitted",
        users["exec.energy"].id,
        True,
    )
    assert [a.filename for a in item.attachments if a.id == answer.attachment_id] == ["answer.pdf"]

    # The head approves (R-ANS-2: the head signs for the subdivision).
    doc = view(head, item)
    assert forms(doc, "/do/approve") and forms(doc, "/do/return")
    assert "Жылу берілді" in panel(doc).text_content()
    doc = post(head, f"{base}/do/approve", {"comment": ""})
    assert flashes(doc, "info") == ["The answer is approved."]
    assert "state-answered" in badge(doc)
    reload(item)
    assert ops.current_answer(item).approved_by_id == users["head.energy"].id

    # The controller removes it from control on the approved final answer (R-CTRL-1).
    doc = view(controller, item)
    assert forms(doc, "/do/close") and forms(doc, "/do/rework")
    doc = post(controller, f"{base}/do/close")
    assert flashes(doc, "info") == ["Removed from control."]
    assert "state-closed" in badge(doc)
    assert not panel(doc).xpath(".//form")  # nothing left to do on a closed item
    reload(item)
    assert item.state == "closed"
    assert [h.transition for h in history(item)] == [
        "create",
        "distribute",
        "assign",
        "submit_answer",
        "approve_answer",
        "close",
    ]


def test_r_ctrl_1_close_refused_before_the_answer_is_approved_ui(as_user, committed):
    item = committed("answer_review")
    controller = as_user("controller")
    assert not forms(view(controller, item), "/do/close")
    doc = post(controller, f"/routing/{item.public_id}/do/close")
    assert flashes(doc, "error") and not flashes(doc, "info")
    reload(item)
    assert item.state == "answer_review"


def test_r_ctrl_2_rework_comment_is_shown_to_the_executor(as_user, committed):
    item = committed("answered")
    base = f"/routing/{item.public_id}"
    controller = as_user("controller")
    assert forms(view(controller, item), "/do/rework")

    doc = post(controller, f"{base}/do/rework", {"comment": ""})  # a comment is required
    assert flashes(doc, "error") and not flashes(doc, "info")
    reload(item)
    assert item.state == "answered"

    comment = "Не указано право на обжалование (ст. 89 АППК)"
    doc = post(controller, f"{base}/do/rework", {"comment": comment})
    assert flashes(doc, "info") == ["Sent back for rework."]
    assert "state-in_work" in badge(doc)
    reload(item)
    assert item.state == "in_work" and ops.current_answer(item).status == "rework"

    doc = view(as_user("exec.energy"), item)
    returned = panel(doc).xpath(f".//p[{cls('flash-error')}]")
    assert returned and comment in returned[0].text_content()
    assert forms(doc, "/answer")  # the executor can answer again


def test_r_route_2_forwarding_partial_then_whole_with_notice(as_user, committed):
    item = committed()
    controller = as_user("controller")
    doc = view(controller, item)
    assert forms(doc, "/forward")
    deadline = ops.forwarding_deadline(item)

    doc = post(
        controller,
        f"/routing/{item.public_id}/forward",
        {"body": "Прокуратура г. Алматы", "partial": "y", "reason": "в части"},
    )
    assert flashes(doc, "info") and not flashes(doc, "error")
    assert "state-registered" in badge(doc)  # a partial forward keeps the state
    text = panel(doc).text_content()
    assert "Forwarded to Прокуратура г. Алматы" in text and "(in part)" in text
    assert "Notice due by" in text
    fwd = db.session.scalar(select(Forwarding).where(Forwarding.item_id == item.id))
    assert fwd.partial and fwd.deadline == deadline and fwd.notice_sent_at is None

    (mark,) = forms(doc, f"/notice/forwarding/{fwd.id}")
    doc = post(controller, mark.get("action"))
    assert flashes(doc, "info") == ["The notice to the applicant is recorded as sent."]
    assert "Applicant notified." in panel(doc).text_content()
    assert "Notice due by" not in panel(doc).text_content()
    reload(item)
    assert fwd.notice_sent_at is not None

    doc = post(
        controller, f"/routing/{item.public_id}/forward", {"body": "Министерство энергетики РК"}
    )
    assert "state-forwarded" in badge(doc)
    reload(item)
    assert item.state == "forwarded"


def test_notice_marking_refused_to_an_executor(as_user, committed, users):
    item = committed("in_work")
    ops.extend(
        item,
        users["controller"],
        basis="letter",
        new_due=item.registration_date + dt.timedelta(days=20),
        reason="запрос в КСК",
    )
    db.session.commit()
    ext = db.session.scalar(select(Extension).where(Extension.item_id == item.id))
    executor = as_user("exec.energy")
    assert not forms(view(executor, item), f"/notice/extension/{ext.id}")
    assert executor.post(f"/routing/notice/extension/{ext.id}").status_code == 403
    reload(item)
    assert ext.notice_sent_at is None


def test_r_deadline_2_extension_form_letter_cap_30_days(as_user, committed):
    from docflow.core.settings import set_setting

    # A profile where extension notices need no head's signature, so the panel offers "mark
    # sent" at once (the default — the head signs it — is in tests/outgoing/test_notice_letters.py).
    set_setting("letters", {"signature_required": ["final_answer", "refusal"]})
    item = committed("in_work")
    old_due = item.due_date
    cap = item.registration_date + dt.timedelta(days=30)
    controller = as_user("controller")
    doc = view(controller, item)
    assert len(forms(doc, "/extend")) == 1
    en_cap = f"{cap.day} {cap.strftime('%b')} {cap.year}"  # the English date format
    assert en_cap in panel(doc).text_content()  # the caps are shown

    path = f"/routing/{item.public_id}/extend"
    doc = post(
        controller,
        path,
        {"basis": "letter", "new_due": (cap + dt.timedelta(days=1)).isoformat(), "reason": "долго"},
    )
    (error,) = flashes(doc, "error")
    en_cap = f"{cap.day} {cap.strftime('%b')} {cap.year}"  # the English date format
    assert "30 calendar days" in error and en_cap in error
    assert not flashes(doc, "info")
    reload(item)
    assert (item.state, item.due_date) == ("in_work", old_due)
    assert ops.extensions(item) == []

    doc = post(
        controller, path, {"basis": "letter", "new_due": cap.isoformat(), "reason": "запрос в КСК"}
    )
    (info,) = flashes(doc, "info")
    # R-DEADLINE-3: the cap (16 December) is a holiday and the next working day passes it: the
    # term ends on the working day before, and the message says so.
    real = get_calendar().adjust_term(cap, cap).day
    assert en_cap in info and f"{real.day} {real.strftime('%b')} {real.year}" in info
    assert "Notice due by" in panel(doc).text_content()
    reload(item)
    assert (item.state, item.due_date) == ("in_work", real)
    (ext,) = ops.extensions(item)
    assert (ext.old_due, ext.new_due, ext.basis) == (old_due, real, "letter")

    (mark,) = forms(doc, f"/notice/extension/{ext.id}")
    doc = post(controller, mark.get("action"))
    assert "Applicant notified." in panel(doc).text_content()


# --- R-ROUTE-4 in the UI --------------------------------------------------------------------


@pytest.fixture
def repeat_case(routed, make_item, users):
    """An earlier closed case executed by exec.energy, and a new appeal linked to it."""
    earlier = routed("closed")
    new = make_item(summary="Жылу әлі жоқ, қайта жүгінемін")
    link_items(new, earlier, "repeat", users["clerk"])
    ops.distribute(new, users["controller"], ["ENERGY"])
    db.session.commit()
    return earlier, new


def test_r_route_4_ui_path_previous_handler_greyed_out_and_forced_post_refused(
    as_user, repeat_case, users
):
    earlier, new = repeat_case
    head = as_user("head.energy")
    doc = view(head, new)
    (form,) = forms(doc, "/assign")
    boxes = {int(b.get("value")): b for b in form.xpath(".//input[@name='executors']")}
    blocked = boxes[users["exec.energy"].id]
    assert blocked.get("disabled") is not None
    (why,) = doc.xpath(f"//*[@id='{blocked.get('aria-describedby')}']")
    assert earlier.reg_number in why.text_content()
    # R-ROUTE-4 in words (the reception rules' paragraph), the id in the tooltip
    assert "Rules of personal reception, para. 35" in why.text_content()
    assert why.xpath(".//abbr/@title") == ["R-ROUTE-4"]
    label = blocked.getparent()
    assert "blocked" in label.get("class")
    assert boxes[users["exec2.energy"].id].get("disabled") is None  # not in the earlier case

    # Forcing the POST with the blocked user's id (path: UI) is refused, nothing changes.
    doc = post(
        head,
        f"/routing/{new.public_id}/assign",
        {"executors": [users["exec.energy"].id], "kind": "assign"},
    )
    (error,) = flashes(doc, "error")
    assert earlier.reg_number in error and "Rules of personal reception, para. 35" in error
    assert not flashes(doc, "info")
    assert "state-distributed" in badge(doc)
    reload(new)
    assert new.state == "distributed" and ops.active_executors(new) == []
    assert "assign" not in [h.transition for h in history(new)]

    # The allowed colleague can be assigned from the same form.
    doc = post(
        head,
        f"/routing/{new.public_id}/assign",
        {"executors": [users["exec2.energy"].id], "kind": "assign"},
    )
    assert flashes(doc, "info") == ["Executors assigned."]
    reload(new)
    assert [a.user_id for a in ops.active_executors(new)] == [users["exec2.energy"].id]


# --- the dashboard ------------------------------------------------------------------------


def section(doc, section_id: str):
    found = doc.xpath(f"//section[@id='{section_id}']")
    return found[0] if found else None


def numbers(sec) -> set[str]:
    return {a.text_content().strip() for a in sec.xpath(".//tbody//a")}


@pytest.fixture
def dashboard_items(make_item, routed, users):
    today = get_calendar().local_now().date()
    waiting = make_item(summary="Ожидает распределения")
    forwarded = make_item(summary="Вне компетенции в части")
    ops.forward(forwarded, users["controller"], body="Прокуратура", partial=True)
    late = routed("in_work")
    late.due_date = today - dt.timedelta(days=1)
    other = routed("in_work", executor="exec2.energy")
    edu = make_item(summary="Очередь в детский сад")
    ops.distribute(edu, users["controller"], ["EDU"])
    db.session.commit()
    return {"waiting": waiting, "forwarded": forwarded, "late": late, "other": other, "edu": edu}


def test_dashboard_sections_per_role_r_ctrl_3(as_user, dashboard_items):
    it = {k: v.reg_number for k, v in dashboard_items.items()}

    doc = tree(as_user("controller").get("/routing/"))
    assert it["waiting"] in numbers(section(doc, "awaiting-distribution"))
    assert it["late"] not in numbers(section(doc, "awaiting-distribution"))
    notices = section(doc, "awaiting-notice").text_content()
    assert it["forwarded"] in notices and "Прокуратура" in notices
    assert section(doc, "subdivision-items") is None
    assert it["late"] in numbers(section(doc, "overdue"))

    doc = tree(as_user("head.energy").get("/routing/"))
    mine = numbers(section(doc, "subdivision-items"))
    assert {it["late"], it["other"]} <= mine and it["edu"] not in mine
    assert section(doc, "awaiting-distribution") is None
    assert section(doc, "awaiting-notice") is None
    assert it["late"] in numbers(section(doc, "overdue"))

    doc = tree(as_user("exec.energy").get("/routing/"))
    my_items = section(doc, "my-items")
    assert numbers(my_items) == {it["late"]}  # not the colleague's item
    (row,) = my_items.xpath(".//tbody/tr")
    assert "overdue" in row.get("class") and row.xpath(f".//*[{cls('overdue-mark')}]")
    assert section(doc, "awaiting-distribution") is None
    assert section(doc, "subdivision-items") is None

    doc = tree(as_user("head.edu").get("/routing/"))
    assert numbers(section(doc, "subdivision-items")) == {it["edu"]}
    assert it["late"] not in numbers(section(doc, "overdue"))  # another subdivision's item
    assert not doc.xpath(f"//*[@id='subdivision-items']//*[{cls('overdue-mark')}]")


def test_dashboard_requires_login(client):
    r = client.get("/routing/")
    assert r.status_code in (302, 401) and "/login" in r.headers.get("Location", "/login")


def test_answer_form_without_file_is_refused(as_user, committed):
    item = committed("in_work")
    doc = post(
        as_user("exec.energy"),
        f"/routing/{item.public_id}/answer",
        {"summary": "Ответ"},
        content_type="multipart/form-data",
    )
    assert flashes(doc, "error") and "state-in_work" in badge(doc)
    reload(item)
    assert db.session.scalar(select(Answer).where(Answer.item_id == item.id)) is None


def test_r_route_1_broken_suggestions_are_logged_and_the_panel_still_opens(
    app, web, make_item, monkeypatch, caplog
):
    """A broken model or competence map never blocks routing by hand, and is not silent."""
    import docflow.routing.suggest as suggest

    def broken(*_a, **_kw):
        raise ValueError("the competence map is not a list")

    monkeypatch.setattr(suggest, "suggest_for_text", broken)
    item = make_item()
    r = web("controller").get(f"/registry/{item.public_id}")
    assert r.status_code == 200
    assert "Send to the competent subdivision" in r.get_data(as_text=True)  # by hand
    assert "routing suggestions failed" in caplog.text
    assert "the competence map is not a list" in caplog.text
