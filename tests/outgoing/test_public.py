"""The public verification page of a signed letter (the QR code's address, no login) and the
applicant's rating of the answer (R-ANS-3): on the page (CSRF-protected) or from a call."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from docflow.extensions import db
from docflow.outgoing.letter_models import Letter, letter_by_public_id
from docflow.outgoing.letter_pdf import verification_url
from docflow.outgoing.public_models import AnswerRating
from tests.outgoing.letter_helpers import HEAD_IIN, Api, approved_letter, make_letter_pki
from tests.outgoing.test_dispatch import signed_letter

POSITION = "Энергетика басқармасының басшысы"


@pytest.fixture
def api(app, users):
    return Api(app, users)


@pytest.fixture
def signed(api, users, routed, make_item):
    """A signed final answer whose signer has a position on record; the QR's path."""
    users["head.energy"].employee.positions = {"kk": POSITION, "ru": "Руководитель управления", "en": "Head"}  # fmt: skip
    db.session.commit()
    lid = signed_letter(api, users, routed, make_item)
    letter = letter_by_public_id(lid)
    return letter, urlsplit(verification_url(letter, letter.content_hash)).path


def _sent(api, letter) -> None:
    r = api.post("clerk", f"/letters/{letter.public_id}/dispatch", {"channel": "hand", "received_by": "Сейітова А."})  # fmt: skip
    assert r.status_code == 201, r.get_json()


def test_qr_address_opens_the_verification_page_without_login(web, signed):
    letter, path = signed
    r = web(lang="kk").get(path)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="verdict-valid"' in html
    assert letter.reg_number in html and letter.registered_on.strftime("%d.%m.%Y") in html
    assert "ҚАСЫМОВ БАҚЫТЖАН" in html and POSITION in html  # name and position
    assert "Алматы" in html  # the organisation
    assert (
        r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"
    )


def test_the_page_never_shows_the_iin_or_the_applicants_data(web, signed):
    letter, path = signed
    for lang in ("kk", "ru", "en"):
        html = web(lang=lang).get(path + f"?lang={lang}").get_data(as_text=True)
        assert HEAD_IIN not in html
        for applicant in letter.item.applicants:
            for private in (applicant.iin, applicant.full_name, applicant.address, applicant.email):
                assert private and private not in html, private
        assert letter.body not in html  # not the letter's text either


def test_a_wrong_hash_is_404_and_says_nothing_about_the_letter(web, api, users, routed, signed):
    _letter, path = signed
    client = web()
    wrong = path[:-1] + ("0" if path[-1] != "0" else "1")
    unknown = f"/v/{'ab' * 10}/{path.rsplit('/', 1)[1]}"
    unsigned = approved_letter(api, routed("in_work"))
    would_be = f"/v/{unsigned}/{'0' * 16}"
    answers = [client.get(p) for p in (wrong, unknown, would_be, path + "0", path.upper())]
    assert [r.status_code for r in answers] == [404] * 5
    # the same page whatever the reason (but for the path and CSRF token the page shell carries)
    shell = re.compile(r'(value|content)="[^"]*"')
    assert len({shell.sub("", r.get_data(as_text=True)) for r in answers}) == 1
    assert client.get(path).status_code == 200


def test_a_changed_letter_is_shown_as_not_confirmed(web, signed):
    letter, path = signed
    # someone changes the stored PDF behind the application's back
    tampered = bytearray(letter.signed_pdf)
    at = tampered.index(b"/Contents") - 40
    tampered[at] = ord("X") if tampered[at] != ord("X") else ord("Y")
    db.session.execute(update(Letter).where(Letter.id == letter.id).values(signed_pdf=bytes(tampered)))  # fmt: skip
    db.session.commit()
    html = web().get(path).get_data(as_text=True)
    assert 'id="verdict-invalid"' in html and 'id="verdict-valid"' not in html
    assert "do not match the code" in html


def test_reloading_the_page_does_not_verify_again_and_again(web, signed, monkeypatch):
    import docflow.signing
    from docflow.outgoing import public

    _letter, path = signed
    calls = []
    real = docflow.signing.verify_pdf
    monkeypatch.setattr(docflow.signing, "verify_pdf", lambda *a, **kw: calls.append(1) or real(*a, **kw))  # fmt: skip
    public._verdicts.clear()
    client = web()
    pages = [client.get(path).get_data(as_text=True) for _ in range(3)]
    assert all('id="verdict-valid"' in p for p in pages)
    assert len(calls) == 1
    monkeypatch.setattr(public, "CACHE_SECONDS", 0)  # stale: verified again
    assert client.get(path).status_code == 200 and len(calls) == 2


def test_r_ans_3_the_applicant_rates_the_sent_answer_once_on_the_page(web, api, signed):
    letter, path = signed
    client = web()
    assert 'id="rating-form"' not in client.get(path).get_data(as_text=True)  # not sent yet
    refused = client.post(path + "/rating", data={"score": "5"})
    assert refused.status_code == 303
    assert db.session.scalar(select(AnswerRating)) is None
    _sent(api, letter)
    assert 'id="rating-form"' in client.get(path).get_data(as_text=True)
    assert client.post(path + "/rating", data={"score": "9"}).status_code == 422
    r = client.post(path + "/rating", data={"score": "4", "comment": "Жауап түсінікті."})
    assert r.status_code == 303
    rating = db.session.scalar(select(AnswerRating))
    assert (rating.score, rating.source, rating.comment, rating.recorded_by_id) == (4, "web", "Жауап түсінікті.", None)  # fmt: skip
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "your rating is recorded" in page and 'id="rating-form"' not in page
    # a second rating is refused: the first one stays
    again = client.post(path + "/rating", data={"score": "1"}, follow_redirects=True)
    assert "already been rated" in again.get_data(as_text=True)
    db.session.expire_all()
    assert [r.score for r in db.session.scalars(select(AnswerRating))] == [4]
    # a wrong hash rates nothing
    assert client.post(path[:-1] + "x/rating", data={"score": "1"}).status_code == 404


def test_r_ans_3_the_front_office_records_a_rating_from_a_call(api, signed):
    letter, _path = signed
    rating = f"/letters/{letter.public_id}/rating"
    assert api.post("clerk", rating, {"score": 3, "source": "call"}).status_code == 422  # not sent
    _sent(api, letter)
    for who in ("exec.energy", "head.energy", "inspector"):
        assert api.post(who, rating, {"score": 3, "source": "call"}).status_code == 403, who
    assert api.post("clerk", rating, {"score": 6, "source": "call"}).status_code == 422
    assert api.post("clerk", rating, {"score": True, "source": "call"}).status_code == 422
    assert api.post("clerk", rating, {"score": 3, "source": "web"}).status_code == 422
    r = api.post("controller", rating, {"score": 3, "source": "call", "comment": "По телефону"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json() | {"at": None} == {
        "letter": letter.public_id,
        "score": 3,
        "source": "call",
        "comment": "По телефону",
        "at": None,
        "recorded_by": "controller",
    }
    second = api.post("clerk", rating, {"score": 5, "source": "call"})
    assert second.status_code == 409 and second.get_json()["error"] == "rated"
    assert [x.score for x in db.session.scalars(select(AnswerRating))] == [3]


def test_r_ans_3_the_public_form_is_csrf_protected(make_app):
    """With CSRF on (as in production): no token, no rating; the page's token works."""
    app = make_app("demo", WTF_CSRF_ENABLED=True)
    with app.app_context():
        from tests.fixtures import DemoUsers

        people = DemoUsers()
        api = Api(app, people)
        from tests.outgoing.letter_helpers import setup_signer

        setup_signer(people, make_letter_pki())
        item = _in_work(app, people)
        lid = approved_letter(api, item)
        assert api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": "Qwerty12"}).status_code == 200  # fmt: skip
        letter = letter_by_public_id(lid)
        _sent(api, letter)
        path = urlsplit(verification_url(letter, letter.content_hash)).path
        client = app.test_client()
        assert client.post(path + "/rating", data={"score": "5"}).status_code == 400
        assert db.session.scalar(select(AnswerRating)) is None
        html = client.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        r = client.post(path + "/rating", data={"score": "5", "csrf_token": token})
        assert r.status_code == 303
        assert db.session.scalar(select(AnswerRating.score)) == 5


def _in_work(app, people):
    from docflow.registry.operations import ApplicantData, RegistrationData, register
    from docflow.routing import operations as ops
    from tests.conftest import fake_iin

    data = RegistrationData(
        kind="statement",
        channel="post",
        applicants=[ApplicantData(full_name="Ахметова Д.", iin=fake_iin(900), address="Алматы")],
        addressee="Алматы қаласының әкімі",
        summary="CSRF тексерісі: жылу жоқ",
    )
    item = register(data, people["clerk"])
    ops.distribute(item, people["controller"], ["ENERGY"])
    ops.assign_executors(item, people["head.energy"], [people["exec.energy"].id])
    db.session.commit()
    return item
