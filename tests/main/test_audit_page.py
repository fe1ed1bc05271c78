"""The audit trail page as readable history (issue 14, R-AUDIT-3, R-PD-1): sentences in the
reader's language, never raw JSON; filters by who, what, when and item; page views and language
switches out of the business history; the hash chain still verifies."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, insert, select

from docflow.core import audit
from docflow.core.access_log import AccessEntry
from docflow.core.history_text_models import AuditHidden
from docflow.extensions import db
from tests.fixtures import page

JSON_LIKE = re.compile(r'\{"|\\u[0-9a-f]{4}|"after"|"before"')


def as_user(user):
    return audit.acting_as(audit.Actor(user.id, user.display_name))


@pytest.fixture
def walked(routed, users):
    """An item registered, distributed and assigned, each step by its real actor."""
    from docflow.routing import operations as ops

    item = routed("distributed")
    with as_user(users["head.energy"]):
        ops.assign_executors(item, users["head.energy"], [users["exec.energy"].id])
    db.session.commit()
    return item


def rows_of(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", r) for r in body.split("<tr")[1:]]


def test_r_audit_3_trail_reads_as_sentences_without_json(web, walked, users):
    html = page(web("inspector").get("/audit"))
    head = users["head.energy"].display_name
    executor = users["exec.energy"].display_name
    assert f"Head of subdivision {head} assigned Executor {executor} to" in html
    assert walked.reg_number in html
    assert not JSON_LIKE.search(html.split("<tbody>", 1)[1])
    assert "incoming_item 1" not in html
    # stored codes read as their titles: the state, the subdivision
    assert "state: Sent to the subdivision → In work" in html
    assert "distributed → in_work" not in html


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_trail_sentences_follow_the_language(web, walked, users, lang):
    from flask_babel import force_locale, gettext

    from docflow.registry.vocab import KINDS

    html = page(web("inspector", lang=lang).get("/audit"))
    with force_locale(lang):
        head = f"{gettext('Head of subdivision')} {users['head.energy'].display_name}"
        executor = f"{gettext('Executor')} {users['exec.energy'].display_name}"
        item = f"{str(KINDS['statement']).lower()} {walked.reg_number}"
        sentence = gettext("%(actor)s assigned %(user)s to %(item)s") % {
            "actor": head,
            "user": executor,
            "item": item,
        }
    assert sentence in html
    assert "Head of subdivision" not in html and "statement ЖТ" not in html
    assert not JSON_LIKE.search(html.split("<tbody>", 1)[1])


def test_filter_by_item_shows_only_that_item(web, walked, make_item):
    other = make_item()
    db.session.commit()
    html = page(web("inspector").get("/audit", query_string={"item": walked.reg_number}))
    lines = rows_of(html)
    assert lines and all(other.reg_number not in line for line in lines)
    assert any("assigned" in line for line in lines)
    unfiltered = page(web("inspector").get("/audit"))
    assert other.reg_number in unfiltered


def test_filter_by_who_and_what(web, walked, users):
    head = users["head.energy"]
    html = page(web("inspector").get("/audit", query_string={"who": head.id}))
    lines = rows_of(html)
    assert lines and all(head.display_name in line for line in lines)
    routing = rows_of(page(web("inspector").get("/audit", query_string={"what": "routing"})))
    assert routing and not any("signed in" in line for line in routing)
    # the workflow steps of a group are in it too (their history rows), and only there
    assert any("sent the item to the subdivision" in line for line in routing)
    assert not any("registered the item" in line for line in routing)
    registration = rows_of(
        page(web("inspector").get("/audit", query_string={"what": "registration"}))
    )
    assert any("registered the item" in line for line in registration)
    assert not any("sent the item to the subdivision" in line for line in registration)
    accounts = rows_of(page(web("inspector").get("/audit", query_string={"what": "accounts"})))
    assert accounts and all("assigned" not in line for line in accounts)


def test_filter_by_date(web, walked):
    today = dt.date.today()
    later = today + dt.timedelta(days=30)
    empty = page(web("inspector").get("/audit", query_string={"from": later.isoformat()}))
    assert "No entries." in empty
    full = page(
        web("inspector").get(
            "/audit",
            query_string={
                "from": (today - dt.timedelta(days=1)).isoformat(),
                "to": later.isoformat(),
            },
        )
    )
    assert walked.reg_number in full


def test_r_pd_1_language_switch_is_not_in_the_business_history(web, users):
    c = web("clerk")
    before = db.session.scalar(select(func.max(audit.AuditEntry.seq)))
    assert c.post("/lang/ru", data={"next": "/"}).status_code == 302
    db.session.rollback()
    new = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.seq > before)).all()
    assert not [e for e in new if e.action == "update" and e.object_type == "user_account"]
    logged = db.session.scalars(select(AccessEntry).where(AccessEntry.action == "language")).all()
    assert [e.user_id for e in logged] == [users["clerk"].id]
    db.session.refresh(users["clerk"])
    assert users["clerk"].locale == "ru"  # still remembered on the user


def test_old_page_views_are_hidden_behind_a_filter_and_the_chain_still_verifies(web, walked):
    # An entry as versions before the access log wrote it: a page view in the audit trail.
    audit.record("view", walked)
    db.session.flush()
    seq = db.session.scalar(select(func.max(audit.AuditEntry.seq)))
    db.session.execute(insert(AuditHidden).values(seq=seq, reason="read"))
    db.session.commit()
    c = web("inspector")
    default = page(c.get("/audit"))
    assert f'title="#{seq}"' not in default
    everything = page(c.get("/audit", query_string={"all": 1}))
    assert f'title="#{seq}"' in everything
    verified = page(c.get("/audit", query_string={"verify": 1}))
    assert "The chain is intact" in verified
    assert audit.verify().ok


def test_migration_marks_old_views_and_language_switches():
    from importlib import import_module

    migration = import_module("docflow.migrations.versions.0020_readable_history")
    assert migration._language_only({"before": {"locale": None}, "after": {"locale": "ru"}})
    assert migration._language_only('{"before": {"locale": "kk"}, "after": {"locale": "ru"}}')
    assert not migration._language_only(
        {"before": {"locale": None, "active": True}, "after": {"locale": "ru", "active": False}}
    )
    assert "view" in migration.READ_ACTIONS


def test_audit_page_needs_the_permission(web):
    assert web("clerk").get("/audit").status_code == 403


def test_item_page_links_to_its_filtered_trail(web, walked):
    from urllib.parse import quote

    html = page(web("inspector").get(f"/registry/{walked.public_id}"))
    link = f"/audit?item={quote(walked.reg_number)}"
    assert link in html
    lines = rows_of(page(web("inspector").get(link)))
    assert lines and any("assigned" in line for line in lines)
    assert link not in page(web("clerk").get(f"/registry/{walked.public_id}"))  # no audit right
