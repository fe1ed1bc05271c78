"""R-AUDIT-3 for the applicant: name, IIN/BIN and address corrected as a new version with a
reason (the registered values kept as version 1 and shown), IINs checked (R-REG-9), only by
the office and not after the item is closed; and R-ROUTE-4 sees the corrected IIN: the
applicant's earlier case is found and its executor refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from docflow.core import history_text
from docflow.core.audit import AuditEntry
from docflow.core.security import AccessDenied
from docflow.extensions import db
from docflow.main.history import load_texts
from docflow.registry import repeats
from docflow.registry.applicant_versions import correct_applicant, versions_of
from docflow.registry.errors import RegistrationError
from docflow.registry.operations import ApplicantData
from docflow.routing import operations as routing
from docflow.routing.operations import RuleViolation
from tests.fixtures import page

IIN = "900101300811"  # valid (R-REG-9)
EARLIER = "В доме по ул. Абая 5 нет горячей воды уже месяц"
SAME_QUESTION = "Горячую воду так и не дали, в квартире по Абая 5 горячего водоснабжения нет"


@pytest.fixture
def item(make_item):
    made = make_item(
        applicant=ApplicantData(
            full_name="Сейткали Марат", iin="880315300153", address="Алматы, Абая 5"
        )
    )
    db.session.commit()
    return made


def test_r_audit_3_correction_is_a_new_version_with_the_registered_one_kept(item, clerk):
    applicant = item.applicants[0]
    registered_iin = applicant.iin
    correct_applicant(
        item,
        applicant,
        clerk,
        reason="Ошибка при вводе, сверено с удостоверением",
        full_name="Сейткали Марат Ержанович",
        iin=IIN,
        address="Алматы, Абая 5",
    )
    db.session.commit()
    assert (applicant.full_name, applicant.iin) == ("Сейткали Марат Ержанович", IIN)
    v1, v2 = versions_of(applicant)
    assert (v1.version, v1.full_name, v1.iin, v1.reason) == (
        1,
        "Сейткали Марат",
        registered_iin,
        None,
    )
    assert v1.author_id == item.registered_by_id and v1.at == item.registered_at
    assert (v2.version, v2.full_name, v2.iin, v2.author_id) == (
        2,
        "Сейткали Марат Ержанович",
        IIN,
        clerk.id,
    )
    assert v2.reason == "Ошибка при вводе, сверено с удостоверением"
    assert applicant.name_key == repeats.name_key("Сейткали Марат Ержанович", "Алматы, Абая 5")
    # R-PD-1: the trail records the change without the IINs in clear
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "applicant_version")
    ).all()
    assert entries and all(IIN not in str(e.summary) for e in entries)
    load_texts()
    sentences = [history_text.describe(e).text for e in entries]
    assert any("version 2 of the applicant's details in " + item.reg_number in t for t in sentences)


@pytest.mark.parametrize(
    "details, field",
    [
        ({"iin": "900101300812"}, "iin"),  # check digit (R-REG-9)
        ({"iin": "12345"}, "iin"),
        ({"full_name": "Сейткали Марат"}, "field"),  # nothing different
    ],
)
def test_r_audit_3_reason_and_valid_details_are_required(item, clerk, details, field):
    applicant = item.applicants[0]
    with pytest.raises(RegistrationError) as no_reason:
        correct_applicant(item, applicant, clerk, reason="  ", iin=IIN)
    assert "reason" in no_reason.value.fields
    with pytest.raises(RegistrationError) as refused:
        correct_applicant(item, applicant, clerk, reason="сверено", **details)
    assert field in refused.value.fields
    db.session.rollback()
    assert versions_of(applicant) == [] and applicant.iin == "880315300153"


@pytest.mark.parametrize("who", ["exec.energy", "head.energy", "inspector"])
def test_r_audit_3_only_the_office_corrects_the_applicant(routed, item, users, who):
    routed("in_work", item=item)
    with pytest.raises(AccessDenied):
        correct_applicant(item, item.applicants[0], users[who], reason="ошибка", iin=IIN)


def test_r_audit_3_no_correction_after_the_item_is_closed(routed, item, clerk, users):
    routed("closed", item=item)
    for office in (clerk, users["controller"]):
        with pytest.raises(AccessDenied):
            correct_applicant(item, item.applicants[0], office, reason="ошибка", iin=IIN)


def test_r_route_4_corrected_iin_finds_the_earlier_case_and_blocks_its_executor(
    make_item, routed, clerk, users
):
    earlier = routed(
        "closed",
        item=make_item(
            applicant=ApplicantData(full_name="Сейткали Марат", iin=IIN, address="Алматы, Абая 5"),
            summary=EARLIER,
        ),
    )
    # the same person, registered with a mistyped IIN and a shorter address: not found
    new = make_item(
        applicant=ApplicantData(full_name="Сейткали М.", iin="880315300153", address="Абая 5"),
        summary=SAME_QUESTION,
    )
    routing.distribute(new, users["controller"], ["ENERGY"])
    db.session.commit()
    assert repeats.candidates_of(new) == []
    correct_applicant(new, new.applicants[0], clerk, reason="ИИН сверен с удостоверением", iin=IIN)
    db.session.commit()
    [row] = repeats.candidates_of(new)
    assert row.candidate_id == earlier.id and row.decision is None and row.reason.startswith("iin")
    with pytest.raises(RuleViolation, match=earlier.reg_number):
        routing.assign_executors(new, users["head.energy"], [users["exec.energy"].id])


def test_r_audit_3_correction_through_the_item_page(item, web):
    c = web("clerk")
    url = f"/registry/{item.public_id}/applicants/1/correct"
    form = {"full_name": "Сейткали Марат Ержанович", "iin": IIN, "address": "Алматы, Абая 5"}
    assert c.post(url, data={**form, "reason": ""}).status_code == 303
    assert versions_of(item.applicants[0]) == []
    r = c.post(url, data={**form, "iin": "900101300812", "reason": "сверено"})
    assert "check digit" in page(c.get(r.headers["Location"]))
    assert versions_of(item.applicants[0]) == []
    r = c.post(url, data={**form, "reason": "Сверено с удостоверением"})
    assert r.status_code == 303
    db.session.expire_all()
    html = page(c.get(f"/registry/{item.public_id}"))
    assert "Earlier versions of the applicant's details" in html
    assert "Сверено с удостоверением" in html and "as registered" in html
    assert "880315300153" in html  # the registered IIN, kept in the history
    assert (
        c.post(
            f"/registry/{item.public_id}/applicants/2/correct", data={**form, "reason": "x"}
        ).status_code
        == 404
    )


def test_r_reg_5_a_corrected_missing_address_completes_the_appeal(make_item, clerk):
    item = make_item(applicants=[ApplicantData(full_name="Ким Ольга Викторовна")])
    assert item.state == "awaiting_correction" and "address" in item.missing_details
    correct_applicant(
        item, item.applicants[0], clerk, reason="Адрес сообщён письмом", address="Алматы, Абая 5"
    )
    db.session.commit()
    assert item.state == "registered" and not item.missing_details
