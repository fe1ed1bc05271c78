"""R-ROUTE-4 on the bulk and automatic assignment paths."""

from __future__ import annotations

from docflow.core.settings import set_setting
from docflow.extensions import db
from docflow.registry.operations import link_items
from docflow.routing import operations as ops


def _linked_to_a_case_of(routed, make_item, users, executor="exec.energy"):
    earlier = routed("closed", executor=executor)
    new = make_item(summary="Қайта жүгіну")
    link_items(new, earlier, "repeat", users["clerk"])
    return earlier, new


def test_r_route_4_bulk_path_refuses_only_the_linked_item(routed, make_item, users):
    earlier, linked = _linked_to_a_case_of(routed, make_item, users)
    free = make_item(summary="Басқа мәселе")
    for item in (linked, free):
        ops.distribute(item, users["controller"], ["ENERGY"])
    results = ops.bulk_assign(
        [linked, free], users["head.energy"], [users["exec.energy"].id], reason="топтап"
    )
    assert [(r.item.id, r.ok) for r in results] == [(linked.id, False), (free.id, True)]
    assert earlier.reg_number in results[0].message and "R-ROUTE-4" in results[0].message
    assert linked.state == "distributed" and ops.active_executors(linked) == []
    assert free.state == "in_work" and [a.user_id for a in ops.active_executors(free)] == [
        users["exec.energy"].id
    ]


def test_r_route_4_api_bulk_path(routed, make_item, users, app):
    from docflow.api import issue_token

    _earlier, linked = _linked_to_a_case_of(routed, make_item, users)
    ops.distribute(linked, users["controller"], ["ENERGY"])
    token = issue_token(users["head.energy"])
    db.session.commit()
    r = app.test_client().post(
        "/api/v1/routing/bulk-assign",
        json={"items": [linked.public_id], "executors": ["exec.energy"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
    (result,) = r.get_json()["results"]
    assert result["ok"] is False and "R-ROUTE-4" in result["message"]


def test_automatic_assignment_by_standing_instruction(make_item, users):
    set_setting("auto_assign", {"ENERGY": "exec2.energy"})
    item = make_item()
    ops.distribute(item, users["controller"], ["ENERGY"])
    assert item.state == "in_work"
    (row,) = ops.active_executors(item)
    assert row.user_id == users["exec2.energy"].id and row.assigned_by_id is None  # the system


def test_r_route_4_automatic_path_leaves_the_item_to_the_head(routed, make_item, users):
    _earlier, linked = _linked_to_a_case_of(routed, make_item, users, executor="exec2.energy")
    set_setting("auto_assign", {"ENERGY": "exec2.energy"})
    ops.distribute(linked, users["controller"], ["ENERGY"])
    assert linked.state == "distributed" and ops.active_executors(linked) == []
    from sqlalchemy import select

    from docflow.core.audit import AuditEntry

    skipped = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auto_assign_skipped")
    ).all()
    assert skipped and "R-ROUTE-4" in skipped[-1].summary["reason"]


def test_bulk_page_for_the_head(routed, make_item, users, app, login, client):
    a, b = make_item(), make_item(summary="Екінші")
    for item in (a, b):
        ops.distribute(item, users["controller"], ["ENERGY"])
    db.session.commit()
    login("head.energy")
    page = client.get("/routing/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Assign several items at once" in page
    r = client.post(
        "/routing/bulk-assign",
        data={"items": [a.public_id, b.public_id], "executors": [str(users["exec.energy"].id)]},
    )
    assert r.status_code == 303
    db.session.expire_all()
    assert a.state == b.state == "in_work"
