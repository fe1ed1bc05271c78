"""Registration rules: R-REG-1..9, R-KIND-1..3, R-DEADLINE-1, R-ROUTE-5 links, R-AUDIT-3."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.security import AccessDenied
from docflow.core.workflow import GuardRefused, InvalidParameters, TransitionForbidden, history
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry import operations
from docflow.registry.models import Annotation, IncomingItem
from docflow.registry.operations import ApplicantData, RegistrationError
from docflow.registry.repeats import find_candidates
from docflow.registry.workflow import INCOMING
from tests.registry.conftest import almaty


def test_r_reg_4_numbers_per_journal_and_year_are_gapless(app, make_item):
    first = make_item()
    second = make_item()
    legal = make_item(
        applicants=[
            ApplicantData(
                type="legal",
                organisation_name="ТОО «Алем Строй»",
                bin="940140000385",
                address="Алматы",
            )
        ]
    )
    db.session.commit()
    assert first.reg_number == "ЖТ-2026-00000001"
    assert second.reg_number == "ЖТ-2026-00000002"
    assert legal.reg_number == "ЗТ-2026-00000001"  # the legal entities' journal has its own counter
    last_year = make_item(arrived_at=almaty(2025, 12, 5, 10, 0))
    assert last_year.reg_number == "ЖТ-2025-00000001"


def test_r_reg_4_rolled_back_registration_gives_its_number_back(app, make_item):
    make_item()
    db.session.commit()
    make_item()
    db.session.rollback()  # e.g. the request failed after registering
    again = make_item()
    db.session.commit()
    assert again.reg_number == "ЖТ-2026-00000002"


def test_correspondence_goes_to_its_journal(app, make_item):
    item = make_item(kind="correspondence", applicants=[], summary="Хат", addressee="Әкім")
    assert item.reg_number.startswith("КХ-2026-")
    assert item.state == "registered"  # R-REG-5 completeness applies to appeals only


@pytest.mark.parametrize(
    ("arrived", "registered"),
    [
        (almaty(2026, 11, 20, 17, 59), dt.date(2026, 11, 20)),  # Friday, working hours
        (almaty(2026, 11, 20, 19, 5), dt.date(2026, 11, 23)),  # after 18:30 → Monday
        (almaty(2026, 11, 21, 11, 0), dt.date(2026, 11, 23)),  # Saturday
        (almaty(2026, 3, 23, 10, 0), dt.date(2026, 3, 26)),  # Nauryz holidays 21-25 March
    ],
)
def test_r_reg_3_registration_date(app, make_item, arrived, registered):
    item = make_item(arrived_at=arrived)
    assert item.registration_date == registered


def test_r_deadline_1_and_r_kind_2_due_dates(app, make_item):
    statement = make_item(arrived_at=almaty(2026, 10, 15, 10, 0))
    assert statement.due_date == dt.date(2026, 11, 5)  # 15 working days, arrival day is day 1
    complaint = make_item(kind="complaint", arrived_at=almaty(2026, 10, 15, 10, 0))
    assert (complaint.term_days, complaint.due_date) == (20, dt.date(2026, 11, 12))
    letter = make_item(kind="correspondence", applicants=[], arrived_at=almaty(2026, 10, 15, 10, 0))
    assert (letter.term_days, letter.term_unit) == (30, "calendar")
    assert letter.due_date == dt.date(2026, 11, 16)  # 14 Nov is a Saturday → next working day


def test_r_reg_1_defective_appeal_is_registered_and_sent_to_correction(app, make_item):
    item = make_item(
        applicants=[ApplicantData(full_name="Ким Ольга Викторовна")], addressee=None, signed=False
    )
    db.session.commit()
    assert item.reg_number  # registered all the same
    assert item.state == "awaiting_correction"
    assert item.missing_details == ["address", "addressee", "signed"]
    assert item.correction_due == dt.date(2026, 11, 27)  # 10 working days from 16 Nov
    assert "почтовый адрес" in item.notice_text and "пошталық мекенжайы" in item.notice_text
    assert item.reg_number in item.notice_text and "27.11.2026" in item.notice_text


def test_r_reg_5_legal_entity_needs_bin_and_representative_authority(app, make_item):
    item = make_item(
        applicants=[
            ApplicantData(
                type="legal",
                organisation_name="ТОО «Алем Строй»",
                representative="Серіков А.",
                address="Алматы",
            )
        ]
    )
    assert item.missing_details == ["bin", "authority_document"]


def test_r_reg_5_correction_received_returns_to_registered(app, make_item, clerk):
    item = make_item(applicants=[ApplicantData(full_name="Ким Ольга Викторовна")])
    operations.supply_missing(
        item, clerk, reason="Хат 20.11.2026", address="Алматы, Сейфуллин к. 5"
    )
    db.session.commit()
    assert item.state == "registered" and not item.missing_details
    assert item.applicants[0].address == "Алматы, Сейфуллин к. 5"
    notes = db.session.scalars(select(Annotation).where(Annotation.item_id == item.id)).all()
    assert [(n.field, n.old_value, n.new_value) for n in notes] == [
        ("applicant.address", None, "Алматы, Сейфуллин к. 5")
    ]


def test_r_reg_5_return_only_after_the_term(app, make_item, clerk, monkeypatch):
    item = make_item(applicants=[ApplicantData(full_name="Ким Ольга Викторовна")])
    today = get_calendar().local_now().date()
    item.correction_due = today
    with pytest.raises(GuardRefused, match="until"):
        INCOMING.fire(item, "return_to_applicant", clerk)
    assert operations.return_overdue(clerk) == []
    item.correction_due = today - dt.timedelta(days=1)
    returned = operations.return_overdue(clerk)
    assert returned == [item] and item.state == "returned"
    # A return does not stop a new appeal: the same applicant registers again.
    assert (
        operations.register(
            operations.RegistrationData(
                kind="statement",
                channel="post",
                applicants=[ApplicantData(full_name="Ким Ольга Викторовна", address="Алматы")],
                addressee="Әкім",
                summary="Қайта",
                arrived_at=almaty(2026, 11, 20, 10, 0),
            ),
            clerk,
        ).state
        == "registered"
    )


def test_r_reg_6_sign_up_without_essence_is_left_without_consideration(app, make_item):
    item = make_item(kind="reception_request", summary="  ")
    assert item.state == "left_without_consideration"
    assert "мәні" in item.notice_text and "суть вопроса" in item.notice_text
    with_essence = make_item(kind="reception_request", summary="Балабақша кезегі")
    assert with_essence.state == "registered"


def test_r_reg_5_and_6_workflow_guards_refuse_a_direct_fire(app, make_item, clerk):
    # The engine's guards hold even for a caller that skips the operations' own checks.
    complete = make_item(kind="reception_request", summary="Балабақша кезегі")
    with pytest.raises(GuardRefused, match="Nothing is missing"):
        INCOMING.fire(complete, "request_correction", clerk)
    with pytest.raises(GuardRefused, match="without the essence"):  # R-REG-6
        INCOMING.fire(complete, "leave_without_consideration", clerk)
    incomplete = make_item(applicants=[ApplicantData(full_name="Ким Ольга Викторовна")])
    assert incomplete.state == "awaiting_correction"
    with pytest.raises(GuardRefused, match="still missing"):
        INCOMING.fire(incomplete, "correction_received", clerk)
    assert (complete.state, incomplete.state) == ("registered", "awaiting_correction")


def test_r_reg_8_withdrawal_needs_the_written_reference(app, make_item, clerk):
    item = make_item()
    with pytest.raises(InvalidParameters):
        operations.withdraw(item, clerk, comment="")
    operations.withdraw(item, clerk, comment="Өтініш беруші арызы 18.11.2026 №5")
    assert item.state == "withdrawn"
    with pytest.raises(Exception, match="not possible"):
        operations.withdraw(item, clerk, comment="again")


def test_r_reg_9_invalid_identifiers_are_refused_with_a_message(app, make_item):
    with pytest.raises(RegistrationError) as exc:
        make_item(applicants=[ApplicantData(full_name="X", iin="900101300812", address="A")])
    assert "check digit" in exc.value.errors["applicants.0.iin"]
    with pytest.raises(RegistrationError) as exc:
        make_item(applicants=[ApplicantData(type="legal", organisation_name="X", bin="12345")])
    assert "12 digits" in exc.value.errors["applicants.0.bin"]
    assert (
        db.session.scalar(select(func.count()).select_from(IncomingItem)) == 0
    )  # nothing half-written


def test_r_reg_9_iin_7th_and_bin_5th_digit_refused_at_registration(app, make_item):
    # Both numbers have a right check digit: only the digit-7 / digit-5 check refuses them.
    with pytest.raises(RegistrationError) as exc:
        make_item(applicants=[ApplicantData(full_name="X", iin="900101700002", address="A")])
    assert "7th digit" in exc.value.errors["applicants.0.iin"]
    with pytest.raises(RegistrationError) as exc:
        make_item(
            applicants=[
                ApplicantData(type="legal", organisation_name="X", bin="940170000001", address="A")
            ]
        )
    assert "5th digit" in exc.value.errors["applicants.0.bin"]
    assert db.session.scalar(select(func.count()).select_from(IncomingItem)) == 0


def test_r_kind_3_collective_and_foreigner(app, make_item):
    item = make_item(
        applicants=[
            ApplicantData(full_name="Оспанов Ерлан Болатұлы", iin="670212307771", address="Алматы"),
            ApplicantData(
                type="foreigner",
                full_name="John Smith",
                country="UK",
                needs_interpreter=True,
                address="Алматы",
            ),
        ]
    )
    assert item.collective and len(item.applicants) == 2
    assert item.applicants[1].needs_interpreter


def test_r_reg_2_reception_channel_marks_from_reception(app, make_item):
    assert make_item(channel="reception").from_reception
    assert (
        make_item(channel="oral", signed=False).state == "registered"
    )  # oral: protocol, no signature


def test_only_registrars_register(app, make_item):
    with pytest.raises(AccessDenied):
        make_item(actor=user_by_username("inspector"))
    with pytest.raises(AccessDenied):
        make_item(actor=user_by_username("head.energy"))


def test_double_submission_registers_once(app, make_item):
    first = make_item(idempotency_key="form:abc")
    again = make_item(idempotency_key="form:abc")
    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(IncomingItem)) == 1


def test_r_audit_3_registration_and_history_are_recorded(app, make_item, clerk):
    item = make_item()
    db.session.commit()
    assert [h.transition for h in history(item)] == ["create"]
    entries = db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "register")
    ).all()
    assert entries[-1].summary["reg_number"] == item.reg_number
    # IIN never in clear in the audit trail (R-PD-1)
    dump = str([e.summary for e in db.session.scalars(select(audit.AuditEntry))])
    assert "920704404563" not in dump
    assert audit.verify().ok


def test_r_audit_3_corrections_keep_the_old_value(app, make_item, clerk):
    item = make_item(summary="Старый текст")
    operations.annotate(item, "summary", "Новый текст", "опечатка при регистрации", clerk)
    note = db.session.scalars(select(Annotation).where(Annotation.item_id == item.id)).one()
    assert (note.old_value, note.new_value, note.reason) == (
        "Старый текст",
        "Новый текст",
        "опечатка при регистрации",
    )
    with pytest.raises(RegistrationError):
        operations.annotate(item, "reg_number", "X", "no", clerk)  # the number is never changed
    with pytest.raises(RegistrationError):
        operations.annotate(item, "summary", "x", " ", clerk)


def test_r_route_5_repeat_candidates_and_links(app, make_item, clerk):
    same = ApplicantData(full_name="Жұмабаева Айнұр Серікқызы", iin="920704404563")
    first = make_item(applicant=same, summary="Жертөледе кәріз құбыры ағып жатыр, иіс шығады")
    make_item(applicant=same, summary="Балабақша кезегі туралы")
    other = make_item(
        applicant=ApplicantData(full_name="Басқа адам", iin="900101300811", address="X")
    )
    db.session.commit()
    data_applicant = ApplicantData(full_name="Жұмабаева Айнұр Серікқызы", iin="920704404563")
    found = find_candidates([data_applicant], "Кәріз құбыры әлі ағып жатыр")
    assert found[0].item.id == first.id and found[0].similar
    assert other.id not in {c.item.id for c in found}
    assert not found[1].similar
    new = make_item(
        applicant=same, summary="Кәріз құбыры әлі ағып жатыр", link_to=[(first.public_id, "repeat")]
    )
    links = operations.linked_cases(new)
    assert [(link.target_id, link.kind) for link in links] == [(first.id, "repeat")]
    with pytest.raises(RegistrationError):
        operations.link_items(new, new, "repeat", clerk)


def test_same_name_and_address_without_iin_is_a_candidate(app, make_item):
    first = make_item(
        applicant=ApplicantData(full_name="Ким Ольга Викторовна", address="Алматы, Сейфуллин 5")
    )
    found = find_candidates(
        [ApplicantData(full_name="ким ольга викторовна", address="алматы, сейфуллин 5")], ""
    )
    assert [c.item.id for c in found] == [first.id]


def test_inspector_cannot_change_anything(app, make_item):
    item = make_item()
    inspector = user_by_username("inspector")
    with pytest.raises(TransitionForbidden):
        operations.withdraw(item, inspector, comment="x")
    with pytest.raises(AccessDenied):
        operations.annotate(item, "summary", "x", "y", inspector)
