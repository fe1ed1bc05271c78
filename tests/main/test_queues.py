"""The queues and the home page's counters (issue 14 item 2): each counter equals the length of
the list it links to, for every role, in a world with items in several states; the head's
approval queue holds the answer waiting for him (R-ANS-2, also for his substitute), the
controller's removal queue the items with an approved final answer (R-CTRL-1), the office's
notices queue the numbered notices not sent; who sees which queue; the control filters."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from docflow.extensions import db
from docflow.main import queues
from docflow.outgoing import letters
from docflow.outgoing import operations as outgoing_ops
from docflow.routing import operations as ops
from tests.fixtures import page
from tests.outgoing.letter_helpers import ANSWER

ROLES = ("controller", "head.energy", "exec.energy", "exec2.energy", "clerk", "head.edu")


def _notice(item, clerk, n: int):
    return outgoing_ops.register_notice(
        "correction",
        item,
        clerk,
        text_kk=f"Хабарлама {n}",
        text_ru=f"Уведомление {n}",
        due_on=dt.date(2026, 11, 20) + dt.timedelta(days=n),
    )


@pytest.fixture
def world(app, users, routed, make_item, clerk):
    """Items in every state of control, letters at each step, three notices (one sent)."""
    w = {
        "registered": make_item(),
        "distributed": routed("distributed"),
        "in_work": routed("in_work"),
        "in_work2": routed("in_work", executor="exec2.energy"),
        "answer_review": routed("answer_review"),
        "answered": routed("answered"),
        "answered2": routed("answered", executor="exec2.energy"),
        "closed": routed("closed"),
    }
    # an interim answer approved: answered, but not a final answer (R-CTRL-1: stays on control)
    interim = routed("in_work")
    ops.submit_answer(
        interim,
        users["exec.energy"],
        summary="Аралық жауап: тексеру жүріп жатыр.",
        filename="interim.pdf",
        stream=io.BytesIO(b"%PDF-1.4 interim"),
        final=False,
    )
    ops.approve_answer(interim, users["head.energy"])
    w["answered_interim"] = interim
    # a final answer letter submitted (the head approves) and another approved (the head signs)
    submitted_item, approved_item = routed("in_work"), routed("in_work")
    w["submitted_letter"] = letters.create_letter(submitted_item, users["exec.energy"], **ANSWER)
    letters.submit(w["submitted_letter"], users["exec.energy"])
    w["approved_letter"] = letters.create_letter(approved_item, users["exec.energy"], **ANSWER)
    letters.submit(w["approved_letter"], users["exec.energy"])
    letters.approve(w["approved_letter"], users["head.energy"])
    w["notices"] = [_notice(make_item(), clerk, n) for n in range(3)]
    outgoing_ops.mark_sent(w["notices"][0], clerk, channel="post")
    db.session.commit()
    return w


def _rows(user, name, size=1000, **filters):
    return queues.queue(name, user, queues.Filters(**filters), size=size)


@pytest.mark.parametrize("who", ROLES)
def test_counters_equal_the_lengths_of_their_lists(world, users, who):
    user = users[who]
    counted = queues.counters(user)
    assert counted, f"{who} sees no queue"
    for name, total in counted.items():
        assert total == len(_rows(user, name).rows), (who, name)
        # paged: the pages together hold exactly the counted rows
        first = _rows(user, name, size=2)
        seen = []
        for p in range(1, first.pages + 1):
            seen += [r.public_id for r in _rows(user, name, size=2, page=p).rows]
        assert len(seen) == total == first.total, (who, name)


def test_r_ans_2_the_heads_counter_counts_the_answer_waiting_for_his_approval(world, users):
    head = users["head.energy"]
    q = _rows(head, "approval")
    by_task = {(r.item.id, r.task) for r in q.rows}
    assert (world["answer_review"].id, "Answer to approve") in by_task
    assert (world["submitted_letter"].item_id, "Letter to approve") in by_task
    assert (world["approved_letter"].item_id, "Letter to sign") in by_task
    assert queues.counters(head)["approval"] == 3 == q.total
    # another subdivision's head has nothing of ENERGY's to approve
    assert queues.counters(users["head.edu"])["approval"] == 0


def test_r_ans_2_the_substitute_counts_the_heads_approvals_on_his_days(world, users):
    from docflow.org.substitutes import add_substitution, office_today

    today = office_today()
    sub = users["exec2.energy"]
    assert not queues.may_see(sub, "approval")
    add_substitution(users["head.energy"], sub, today, today + dt.timedelta(days=3))
    db.session.commit()
    assert queues.may_see(sub, "approval")
    ids = {r.item.id for r in _rows(sub, "approval").rows}
    assert world["answer_review"].id in ids
    # exec2 executes answered2 only; his substitution gives him the head's queue, not more
    assert queues.counters(sub)["approval"] == _rows(sub, "approval").total


def test_r_ctrl_1_awaiting_removal_lists_the_items_with_an_approved_final_answer(world, users):
    q = _rows(users["controller"], "removal")
    ids = {r.item.id for r in q.rows}
    assert world["answered_interim"].state == "answered"
    assert ids == {world["answered"].id, world["answered2"].id}
    assert queues.counters(users["controller"])["removal"] == 2


def test_the_notices_counter_counts_the_unsent_notices(world, users, clerk):
    q = _rows(clerk, "notices")
    assert {r.letter.id for r in q.rows} == {n.id for n in world["notices"][1:]}
    assert all(r.letter.reg_number and r.letter.sent_on is None for r in q.rows)
    assert queues.counters(clerk)["notices"] == 2
    assert queues.counters(users["controller"])["notices"] == 2
    outgoing_ops.mark_sent(world["notices"][1], clerk, channel="post")
    db.session.commit()
    assert queues.counters(clerk)["notices"] == 1


def test_my_items_of_an_executor(world, users):
    ids = {r.item.id for r in _rows(users["exec2.energy"], "mine").rows}
    # in work and answered (still on control); exec.energy's items are not his
    assert ids == {world["in_work2"].id, world["answered2"].id}
    ops.close(world["answered2"], users["controller"])
    db.session.commit()
    assert {r.item.id for r in _rows(users["exec2.energy"], "mine").rows} == {world["in_work2"].id}


def test_who_sees_which_queue(app, users):
    seen = {who: set(queues.visible(users[who])) for who in (*ROLES, "inspector")}
    assert seen["controller"] >= {"removal", "control", "notices"}
    assert "approval" not in seen["controller"]
    assert seen["head.energy"] >= {"approval", "control", "mine"}
    assert "removal" not in seen["head.energy"] and "notices" not in seen["head.energy"]
    assert seen["exec.energy"] == {"mine"}
    assert seen["clerk"] == {"notices"}
    assert seen["inspector"] == set()


@pytest.mark.parametrize("slug", ["awaiting-removal", "on-control", "unsent-notices"])
def test_an_executor_is_refused_the_controllers_queues(app, web, slug):
    assert web("exec.energy").get(f"/queues/{slug}").status_code == 403


def test_unknown_queue_is_404(app, web):
    assert web("controller").get("/queues/nothing").status_code == 404


def test_control_filters(world, users):
    ctl = users["controller"]
    everything = _rows(ctl, "control")
    active = {
        k for k in world if k not in ("closed", "notices", "submitted_letter", "approved_letter")
    }
    ids = {r.item.id for r in everything.rows}
    assert {world[k].id for k in active} <= ids
    assert world["closed"].id not in ids
    by_exec = _rows(ctl, "control", executor=users["exec2.energy"].id)
    assert {r.item.id for r in by_exec.rows} == {world["in_work2"].id, world["answered2"].id}
    energy = _rows(ctl, "control", subdivision="ENERGY")
    assert world["registered"].id not in {r.item.id for r in energy.rows}
    assert all(r.item.subdivision.code == "ENERGY" for r in energy.rows)
    due = world["in_work"].due_date
    window = _rows(ctl, "control", due_from=due, due_to=due)
    assert window.rows and all(r.item.due_date == due for r in window.rows)
    late = _rows(ctl, "control", overdue=True)
    today = queues.local_today()
    assert all(r.item.due_date < today for r in late.rows)
    assert late.total == sum(
        1 for r in everything.rows if r.item.due_date and r.item.due_date < today
    )
    assert _rows(ctl, "control", kind="petition").total == 0
    # a head sees only his subdivisions' items
    mine = {r.item.id for r in _rows(users["head.energy"], "control").rows}
    assert world["in_work"].id in mine and world["registered"].id not in mine
    assert _rows(users["head.edu"], "control").total == 0


def test_control_page_filters_and_dates_in_the_locale_format(world, web, users):
    c = web("controller", lang="ru")
    r = c.get(f"/queues/on-control?executor={users['exec2.energy'].id}")
    assert r.status_code == 200
    text = page(r)
    assert text.count('class="queue-row') == 2
    assert world["in_work2"].reg_number in text
    assert world["in_work2"].due_date.strftime("%d.%m.%Y") in text


@pytest.mark.parametrize("who", ["head.energy", "controller", "clerk", "exec.energy"])
def test_home_counters_link_to_lists_of_that_many_rows(world, web, who):
    c = web(who)
    home = page(c.get("/"))
    counters = re.findall(r'href="/queues/([a-z-]+)" id="counter-\1" data-count="(\d+)"', home)
    assert counters, home
    for slug, count in counters:
        listed = page(c.get(f"/queues/{slug}"))
        assert listed.count('class="queue-row') == int(count), (who, slug)
        if int(count) == 0:
            assert 'id="queue-empty"' in listed


def test_a_zero_queue_says_so_in_words(app, web):
    c = web("head.edu", lang="en")
    home = page(c.get("/"))
    assert re.search(r'id="counter-awaiting-approval" data-count="0">none<', home)
    listed = page(c.get("/queues/awaiting-approval"))
    assert "Nothing awaits your approval or signature." in listed
