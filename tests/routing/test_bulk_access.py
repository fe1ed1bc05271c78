"""Bulk assignment tells nobody a registration number they may not view (R-PD-1: data of an
appeal is protected against unauthorised access; the number leads to the applicant's case).

The head of another subdivision who sends another subdivision's item in a bulk assignment — a
stale dashboard, a crafted request — learns nothing about it: neither its number nor, through an
R-ROUTE-4 refusal, the number of an earlier case only another subdivision may view.
"""

from __future__ import annotations

import pytest

from docflow.api import issue_token
from docflow.extensions import db
from docflow.registry.operations import ApplicantData, link_items
from docflow.routing import operations as ops

HIDDEN = "(an item not open to you)"


@pytest.fixture
def items(routed, make_item, users):
    """An ENERGY item head.edu may not view, and an EDU item of his own."""
    energy = make_item(summary="Жылу жоқ", applicant=ApplicantData(full_name="Бір", address="А 1"))
    ops.distribute(energy, users["controller"], ["ENERGY"])
    edu = make_item(summary="Мектеп", applicant=ApplicantData(full_name="Екі", address="А 2"))
    ops.distribute(edu, users["controller"], ["EDU"])
    db.session.commit()
    return energy, edu


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as s:
        return list(s.get("_flashes", []))


def test_r_pd_1_bulk_page_does_not_name_another_subdivisions_item(items, users, client, login):
    energy, edu = items
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login("head.edu")
    r = client.post(
        "/routing/bulk-assign",
        data={"items": [energy.public_id, edu.public_id], "executors": [users["exec.edu"].id]},
    )
    assert r.status_code == 303
    shown = flashes(client)
    text = " ".join(message for _category, message in shown)
    assert energy.reg_number not in text
    assert ("error", f"{HIDDEN}: You do not have permission to do this.") in shown
    assert ("info", f"Assigned: {edu.reg_number}.") in shown  # his own item is done
    db.session.expire_all()
    assert energy.state == "distributed" and ops.active_executors(energy) == []
    assert edu.state == "in_work"


def test_r_pd_1_bulk_api_gives_no_number_of_an_item_the_caller_may_not_view(items, users, app):
    energy, edu = items
    token = issue_token(users["head.edu"])
    db.session.commit()
    r = app.test_client().post(
        "/api/v1/routing/bulk-assign",
        json={"items": [energy.public_id, edu.public_id], "executors": ["exec.edu"]},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert r.status_code == 200
    hidden, own = r.get_json()["results"]
    assert hidden == {
        "item": energy.public_id,  # the id the caller sent, nothing more
        "reg_number": None,
        "ok": False,
        "message": "You do not have permission to do this.",
    }
    assert own["reg_number"] == edu.reg_number and own["ok"] is True
    assert energy.reg_number not in r.get_data(as_text=True)


def test_r_route_4_refusal_withholds_the_number_of_an_earlier_case_not_open_to_the_head(
    routed, make_item, users
):
    # The earlier case was ENERGY's (exec.energy executed it); the repeat went to EDU.
    earlier = routed("closed", executor="exec.energy")
    repeat = make_item(summary="Қайта жүгіну: жылу әлі жоқ")
    link_items(repeat, earlier, "repeat", users["clerk"])
    ops.distribute(repeat, users["controller"], ["EDU"])
    (result,) = ops.bulk_assign([repeat], users["head.edu"], [users["exec.energy"].id])
    assert result.ok is False and result.reg_number == repeat.reg_number
    assert "R-ROUTE-4" in result.message  # the rule is still named …
    assert earlier.reg_number not in result.message  # … but not a case head.edu may not view
    assert HIDDEN in result.message


def test_r_route_4_refusal_names_the_earlier_case_the_head_may_view(routed, make_item, users):
    earlier = routed("closed", executor="exec.energy")
    repeat = make_item(summary="Қайта жүгіну")
    link_items(repeat, earlier, "repeat", users["clerk"])
    ops.distribute(repeat, users["controller"], ["ENERGY"])
    (result,) = ops.bulk_assign([repeat], users["head.energy"], [users["exec.energy"].id])
    assert result.ok is False and earlier.reg_number in result.message
    assert HIDDEN not in result.message


@pytest.mark.parametrize("username", ["clerk", "controller", "exec.energy", "inspector"])
def test_bulk_assignment_is_for_heads_only(items, users, app, username):
    energy, _edu = items
    token = issue_token(users[username])
    db.session.commit()
    c = app.test_client()
    r = c.post(
        "/api/v1/routing/bulk-assign",
        json={"items": [energy.public_id], "executors": ["exec.energy"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403 and energy.reg_number not in r.get_data(as_text=True)
    c.post("/login", data={"username": username, "password": "docflow-demo"})
    r = c.post(
        "/routing/bulk-assign",
        data={"items": [energy.public_id], "executors": [users["exec.energy"].id]},
    )
    assert r.status_code == 403
