"""Outgoing-notice pages: the journal and its filters, a notice with its kk/ru texts, the PDF, the
"mark sent" form; clerks and controllers mark, inspectors read, others get 403."""

from __future__ import annotations

import datetime as dt
import io

import pdfplumber
import pytest

from docflow.extensions import db
from docflow.outgoing import operations as out
from docflow.protocols import operations as reception
from docflow.registry.operations import ApplicantData
from docflow.routing import operations as routing_ops
from tests.fixtures import page
from tests.outgoing.helpers import notices, today

NAME = "Жұмабаева Айнұр Серікқызы"


@pytest.fixture
def correction(make_item):
    """An item awaiting correction (R-REG-5) and its registered notice."""
    item = make_item(applicant=ApplicantData(full_name=NAME, iin="920704404563", address=None))
    db.session.commit()
    return item, notices(item)[0]


def test_journal_lists_notices_with_filters(correction, make_item, clerk, web):
    item, n = correction
    other = make_item()
    late = out.register_notice(
        "extension",
        other,
        clerk,
        text_kk="мәтін",
        text_ru="текст",
        due_on=today() - dt.timedelta(days=5),
    )
    sent = out.register_notice(
        "extension", other, clerk, text_kk="мәтін", text_ru="текст", due_on=today()
    )
    out.mark_sent(sent, clerk, channel="post")
    db.session.commit()

    c = web("clerk")
    body = page(c.get("/outgoing/"))
    assert "Journal of outgoing notices" in body
    for x in (n, late, sent):
        assert x.reg_number in body
    assert item.reg_number in body and NAME in body
    assert "Request to supply missing details (APPC art. 63(2))" in body  # R-REG-5 in words
    # The correction notice was due 3 working days after the item's registration (16.11.2026).
    assert "Overdue: 2" in body

    body = page(c.get("/outgoing/?not_sent=y"))
    assert n.reg_number in body and late.reg_number in body and sent.reg_number not in body
    body = page(c.get("/outgoing/?overdue=y"))
    assert late.reg_number in body and n.reg_number in body and sent.reg_number not in body
    body = page(c.get("/outgoing/?overdue=y&kind=extension"))
    assert late.reg_number in body and n.reg_number not in body
    body = page(c.get("/outgoing/?kind=correction"))
    assert n.reg_number in body and late.reg_number not in body


def test_notice_page_texts_side_by_side_and_mark_sent(correction, web):
    item, n = correction
    c = web("clerk")
    body = page(c.get(f"/outgoing/{n.public_id}"))
    assert n.reg_number in body and item.reg_number in body
    assert 'lang="kk"' in body and 'lang="ru"' in body
    assert "пошталық мекенжайы" in body and "почтовый адрес" in body
    assert "Mark as sent" in body

    r = c.post(f"/outgoing/{n.public_id}/sent", data={"channel": "pigeon"})
    assert r.status_code == 303
    db.session.expire_all()
    assert n.sent_on is None
    r = c.post(f"/outgoing/{n.public_id}/sent", data={"channel": "post", "sent_on": ""})
    assert r.status_code == 303
    db.session.expire_all()
    assert (n.sent_on, n.channel) == (today(), "post")
    body = page(c.get(f"/outgoing/{n.public_id}"))
    assert "Mark as sent" not in body and "By post" in body


def test_notice_pdf_with_the_dejavu_font(correction, web):
    item, n = correction
    c = web("inspector")
    for lang, words in (
        ("both", ("Құрметті", "Уважаем")),
        ("kk", ("Құрметті",)),
        ("ru", ("Уважаем",)),
    ):
        r = c.get(f"/outgoing/{n.public_id}/notice.pdf?lang={lang}")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        with pdfplumber.open(io.BytesIO(r.data)) as pdf:
            text = "\n".join(p.extract_text() or "" for p in pdf.pages)
            fonts = {ch["fontname"] for p in pdf.pages for ch in p.chars}
        assert n.reg_number in text and item.reg_number in text
        for word in words:
            assert word in text
        assert any("DejaVu" in f for f in fonts)
    assert c.get(f"/outgoing/{n.public_id}/notice.pdf?lang=de").status_code == 400


@pytest.mark.parametrize("username", ["head.energy", "exec.energy", "akim"])
def test_403_for_roles_without_the_journal(correction, web, username):
    _item, n = correction
    c = web(username)
    assert c.get("/outgoing/").status_code == 403
    assert c.get(f"/outgoing/{n.public_id}").status_code == 403
    assert c.get(f"/outgoing/{n.public_id}/notice.pdf").status_code == 403
    assert c.post(f"/outgoing/{n.public_id}/sent", data={"channel": "post"}).status_code == 403
    assert "Outgoing notices" not in page(c.get("/"))


def test_inspector_reads_but_cannot_mark(correction, web):
    _item, n = correction
    c = web("inspector")
    assert c.get("/outgoing/").status_code == 200
    body = page(c.get(f"/outgoing/{n.public_id}"))
    assert n.reg_number in body and "Mark as sent" not in body
    assert c.post(f"/outgoing/{n.public_id}/sent", data={"channel": "post"}).status_code == 403
    db.session.expire_all()
    assert n.sent_on is None


def test_controller_marks_sent(correction, web):
    _item, n = correction
    r = web("controller").post(f"/outgoing/{n.public_id}/sent", data={"channel": "egov"})
    assert r.status_code == 303
    db.session.expire_all()
    assert n.channel == "egov"


def test_unknown_notice_is_404(app, web):
    assert web("clerk").get("/outgoing/0123456789abcdef0123").status_code == 404


def test_item_page_lists_its_notices_and_nav_link(correction, web):
    item, n = correction
    c = web("clerk")
    body = page(c.get(f"/registry/{item.public_id}"))
    assert n.reg_number in body and f"/outgoing/{n.public_id}" in body
    assert "Outgoing notices" in page(c.get("/"))


def test_routing_panel_links_the_forwarding_notice(make_item, users, web):
    item = make_item()
    routing_ops.forward(item, users["controller"], body="Министерство", partial=False)
    db.session.commit()
    n = notices(item)[0]
    body = page(web("controller").get(f"/registry/{item.public_id}"))
    assert f"/outgoing/{n.public_id}" in body


def test_signup_page_lists_the_notices(make_request, make_session, akim_official, controller, web):
    session = make_session()
    item = make_request()
    signup = reception.create_signup(item, akim_official, controller)
    reception.propose_date(signup, session, controller, "ұсыныс")
    reception.distribute_list(session, controller)
    db.session.commit()
    body = page(web("controller").get(f"/reception/signups/{signup.id}"))
    for n in notices(item):
        assert n.reg_number in body
    assert "Included in the reception list (Rules of personal reception, para. 22–25)" in body
