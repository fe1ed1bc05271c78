"""Notices are letters — one kind of document for everything that goes out: the profile says
which kinds need a head's signature (R-ANS-2; default: final answers, refusals, extensions);
those are drafts through the letter workflow and get their number at signing, from the same
gapless journal (R-REG-4); outgoing alone keeps the "sent" state that routing and protocols
ask about; authors and signers of notice letters are prior handlers (R-ROUTE-4)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from docflow.core.numbering import current_value
from docflow.core.settings import set_setting
from docflow.extensions import db
from docflow.outgoing import letter_signing, letters, notices
from docflow.outgoing import operations as out
from docflow.protocols import schedules
from docflow.registry import operations as registry
from docflow.routing import dashboards
from docflow.routing import operations as routing_ops
from docflow.routing.handlers import prior_handlers
from tests.outgoing.helpers import notices as notices_of
from tests.outgoing.helpers import today
from tests.outgoing.letter_helpers import PASSPHRASE, make_letter_pki, setup_signer

DOCFLOW = Path(__file__).resolve().parents[2] / "docflow"


def _extend(item, users):
    return routing_ops.extend(
        item,
        users["controller"],
        basis="letter",
        new_due=item.registration_date + dt.timedelta(days=25),
        reason="КСК-ға сұрау салынды",
    )


def _sign(notice, users) -> None:
    letters.submit(notice, users["exec.energy"])
    letters.approve(notice, users["head.energy"])
    letter_signing.sign_on_server(notice, users["head.energy"], PASSPHRASE)


def _awaiting_extensions(users) -> list:
    return dashboards.for_user(users["controller"], today())["awaiting_extension_notice"]


# --- R-ANS-2: a kind that needs the head's signature is a draft letter ---------------------------


def test_r_ans_2_extension_notice_is_a_draft_the_head_signs_then_it_is_numbered(routed, users):
    setup_signer(users, make_letter_pki())
    item = routed("in_work")
    ext = _extend(item, users)
    (n,) = notices_of(item, "extension")
    assert n.state == "draft" and n.reg_number is None and n.registered_at is None
    assert n.subdivision.code == item.subdivision.code and n.author_id == users["controller"].id
    assert n.due_on == ext.notice_due and (n.source_type, n.source_id) == ("extension", ext.id)
    # the pre-filled text, both languages; the letter's own is the body (edited and signed)
    assert item.reg_number in n.texts["kk"] and item.reg_number in n.texts["ru"]
    assert n.body == n.texts[n.language] and len(letters.versions(n)) == 1

    # not registered, so not sendable: neither from the journal nor from the routing panel
    with pytest.raises(out.OutgoingError, match="signed"):
        out.mark_sent(n, users["controller"], channel="post")
    with pytest.raises(out.OutgoingError, match="signed"):
        routing_ops.mark_notice_sent(ext, users["controller"])
    assert ext.notice_sent_at is None and ext in _awaiting_extensions(users)
    assert n in out.overdue(n.due_on + dt.timedelta(days=1))  # watched while a draft

    before = current_value("outgoing", today().year)
    _sign(n, users)
    db.session.commit()
    assert n.state == "signed" and n.signed_by_id == users["head.energy"].id
    assert n.reg_seq == before + 1 and n.reg_number == f"ИХ-{today().year}-{before + 1:06d}"
    assert n.signed_pdf and n.registered_at == n.signed_at

    out.mark_sent(n, users["controller"], channel="post")
    db.session.commit()
    assert n.state == "sent" and n.sent_on == today() and n.channel == "post"
    assert ext.notice_sent_at == today() and ext not in _awaiting_extensions(users)


def test_notice_without_signature_is_registered_at_once_in_the_registered_state(routed, users):
    item = routed("in_work")
    routing_ops.forward(item, users["controller"], body="Министерство", partial=True)
    (n,) = notices_of(item, "forwarding")
    assert n.state == "registered" and n.reg_number and n.registered_on == today()
    assert n.registered_at == n.created_at and n.signed_pdf is None


def test_signature_required_comes_from_the_profile(routed, users):
    # the default (demo profile = code default): final answers, refusals, extensions
    assert out.needs_signature(kind="answer", final=True)
    assert not out.needs_signature(kind="answer", final=False)
    assert out.needs_signature(kind="answer", final=False, decision="refused")
    assert out.needs_signature(kind="extension")
    assert not out.needs_signature(kind="forwarding")

    set_setting("letters", {"signature_required": ["interim_answer", "forwarding", "nonsense"]})
    assert not out.needs_signature(kind="answer", final=True)
    assert out.needs_signature(kind="answer", final=False)
    assert not out.needs_signature(kind="answer", final=True, decision="refused")
    assert out.needs_signature(kind="forwarding") and not out.needs_signature(kind="extension")
    assert out.signature_required() == {"interim_answer", "forwarding"}

    item = routed("in_work")
    _extend(item, users)
    routing_ops.forward(item, users["controller"], body="Министерство", partial=True)
    assert notices_of(item, "extension")[0].state == "registered"
    assert notices_of(item, "forwarding")[0].state == "draft"


def test_registered_notice_text_never_changes(make_item, users):
    from docflow.outgoing.letter_models import SignedLetterChanged
    from tests.outgoing.test_notices import no_address

    item = make_item(applicant=no_address())
    (n,) = notices_of(item, "correction")
    n.body = "Басқа мәтін"
    with pytest.raises(SignedLetterChanged):
        db.session.flush()
    db.session.rollback()


# --- R-ROUTE-4: notice letters' authors and signers handled the case ----------------------------


def test_r_route_4_notice_letter_signer_and_author_are_prior_handlers(routed, make_item, users):
    setup_signer(users, make_letter_pki())
    earlier = routed("in_work")
    _extend(earlier, users)
    (n,) = notices_of(earlier, "extension")
    _sign(n, users)
    later = make_item()
    registry.link_items(later, earlier, "repeat", users["controller"])
    handlers = prior_handlers(later)
    # the head approved no paper answer: only the signed notice makes them a handler
    assert handlers[users["head.energy"].id].role == "signed"
    assert users["controller"].id in handlers  # wrote (made) the notice


# --- one source for the "sent" state --------------------------------------------------------------


@pytest.fixture
def listed(make_request, make_session, akim_official, controller):
    from docflow.protocols import operations as reception

    session = make_session(days_ahead=10)
    item = make_request()
    signup = reception.create_signup(item, akim_official, controller, language="ru")
    reception.propose_date(signup, session, controller, "Күнді белгілеу ұсынылады")
    reception.distribute_list(session, controller)
    db.session.commit()
    return item, signup, session


def test_signup_notices_sent_state_is_outgoings(listed, controller):
    item, signup, _session = listed
    inclusion, time_notice = notices_of(item)
    assert notices.sent_on("signup", signup.id, "signup_inclusion") is None
    out.mark_sent(inclusion, controller, channel="phone")
    assert signup.inclusion_notice_sent_on == today() and signup.time_notice_sent_on is None
    assert notices.is_sent("signup", signup.id, "signup_inclusion")
    assert not notices.is_sent("signup", signup.id)  # both kinds: one still waits
    out.mark_sent(time_notice, controller, channel="egov")
    assert signup.time_notice_sent_on == today() and notices.sent_on("signup", signup.id) == today()


def test_r_recv_8_one_text_for_the_cancelled_reception(listed, controller):
    item, _signup, session = listed
    cancellation = schedules.cancel_session(session, controller, "Іссапар")
    (told,) = cancellation.notices
    (n,) = notices_of(item, "reception_cancelled")
    assert told.text == notices.reception_cancelled_texts(session, item)
    assert n.text_kk.startswith(told.text["kk"]) and n.text_ru.startswith(told.text["ru"])
    assert "не состоится" in told.text["ru"]


def test_a_dispatch_firing_send_records_the_sent_state(routed, users):
    from docflow.outgoing.letter_workflow import LETTER

    item = routed("in_work")
    routing_ops.forward(item, users["controller"], body="Министерство", partial=True)
    (n,) = notices_of(item, "forwarding")
    LETTER.fire(n, "send", users["controller"])
    assert n.sent_on == today() and n.sent_by_id == users["controller"].id


# --- no cycle: outgoing writes and imports no routing/protocols models ------------------------------


def _module_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:  # module level only
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_outgoing_imports_no_routing_or_protocols_models():
    for path in sorted((DOCFLOW / "outgoing").glob("*.py")):
        bad = {m for m in _module_imports(path) if m.startswith(("docflow.routing.models", "docflow.protocols.models"))}  # fmt: skip
        assert not bad, (path.name, bad)
    # not even late (inside a function): the notices' code writes no other domain's rows
    for name in ("operations.py", "hooks.py", "texts.py", "notices.py", "models.py", "views.py"):
        source = (DOCFLOW / "outgoing" / name).read_text(encoding="utf-8")
        assert "routing.models" not in source and "protocols.models" not in source, name


@pytest.mark.parametrize("package", ["routing", "protocols", "registry"])
def test_other_domains_ask_outgoing_only_through_its_notices_module(package):
    for path in sorted((DOCFLOW / package).glob("*.py")):
        used = {m for m in _module_imports(path) if m.startswith("docflow.outgoing")}
        assert used <= {"docflow.outgoing", "docflow.outgoing.notices"}, (path.name, used)


# --- the pages ------------------------------------------------------------------------------------


def test_pages_show_a_notice_waiting_for_the_heads_signature(routed, users, web):
    item = routed("in_work")
    ext = _extend(item, users)
    db.session.commit()
    (n,) = notices_of(item, "extension")
    controller = web("controller")
    page = controller.get(f"/registry/{item.public_id}").get_data(as_text=True)
    assert "The notice waits for the head" in page
    assert f"/routing/notice/extension/{ext.id}" not in page  # no "mark as sent" for a draft
    journal = controller.get("/outgoing/?not_sent=1").get_data(as_text=True)
    assert f"/outgoing/{n.public_id}" in journal and "not registered yet" in journal
    page = controller.get(f"/outgoing/{n.public_id}").get_data(as_text=True)
    assert "needs the head" in page and f"/outgoing/{n.public_id}/sent" not in page
    assert controller.get(f"/outgoing/{n.public_id}/notice.pdf").status_code == 200
