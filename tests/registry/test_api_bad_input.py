"""Bad input through the API and the pages: a refused file never costs the registration
(R-REG-1); deep JSON, lone surrogates, control characters, over-long fields and oversized
requests are a 4xx with a readable message, never a 500."""

from __future__ import annotations

import html
import io
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from docflow.api.safe_input import MAX_JSON_DEPTH, MAX_JSON_STRING
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.models import Attachment, IncomingItem, item_by_public_id
from tests.registry.test_api import assert_error, bearer, registration, text_pdf
from tests.registry.test_pages import form_data

# Their documents arrive on 20 November 2026: registered that day (a later one needs a reason).
pytestmark = pytest.mark.usefixtures("on_arrival_day")
DEEP = "[" * 100_000 + "]" * 100_000
SURROGATE = json.dumps(registration()).replace('"summary": "', '"summary": "\\ud800')
GOOD = text_pdf("Scan of the appeal")


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def api(app):
    headers = bearer("clerk")
    c = app.test_client()

    def post(url, **kw):
        return c.post(url, headers={**headers, **kw.pop("headers", {})}, **kw)

    return post


def web(app, username: str = "clerk"):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    r = c.post("/login", data={"username": username, "password": "docflow-demo"})
    assert r.status_code == 302
    return c


def register_multipart(api, files, **headers):
    return api(
        "/api/v1/items",
        data={"data": json.dumps(registration(confirm_duplicate=True)), **files},  # each another
        content_type="multipart/form-data",
        headers=headers,
    )


# --- R-REG-1: a refused file never costs the registration ---------------------------------------


def test_r_reg_1_api_registration_with_an_empty_file_is_kept(app, api):
    r = register_multipart(
        api, {"files": [(io.BytesIO(b""), "empty.pdf"), (io.BytesIO(GOOD), "appeal.pdf")]}
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert [a["filename"] for a in body["attachments"]] == ["appeal.pdf"]
    [refused] = body["files_refused"]
    assert (refused["name"], refused["error"]) == ("empty.pdf", "empty")
    assert "is empty" in refused["message"]
    item = item_by_public_id(body["id"])
    assert item.reg_number == body["reg_number"]
    assert [a.filename for a in item.attachments] == ["appeal.pdf"]

    # Only an empty file: the appeal is registered all the same, with no file.
    r = register_multipart(api, {"files": [(io.BytesIO(b""), "nothing.pdf")]})
    assert r.status_code == 201
    body = r.get_json()
    assert body["attachments"] == []
    assert [f["error"] for f in body["files_refused"]] == ["empty"]
    assert count(IncomingItem) == 2 and count(Attachment) == 1


def test_r_reg_1_file_over_the_attachment_limit_is_refused_alone(make_app):
    app = make_app("demo", MAX_ATTACHMENT_BYTES=len(GOOD) + 100)
    with app.app_context():
        headers = bearer("clerk")
        r = app.test_client().post(
            "/api/v1/items",
            data={
                "data": json.dumps(registration()),
                "files": [
                    (io.BytesIO(GOOD + bytes(1000)), "too-big.pdf"),
                    (io.BytesIO(GOOD), "good.pdf"),
                ],
            },
            content_type="multipart/form-data",
            headers=headers,
        )
        assert r.status_code == 201, r.get_data(as_text=True)
        body = r.get_json()
        assert [a["filename"] for a in body["attachments"]] == ["good.pdf"]
        assert body["files_refused"] == [
            {"name": "too-big.pdf", "error": "too_large", "message": "The file is too large."}
        ]
        assert count(IncomingItem) == 1


def test_r_reg_1_file_in_a_wrong_part_is_reported_not_lost_silently(app, api):
    r = register_multipart(api, {"file": [(io.BytesIO(GOOD), "appeal.pdf")]})
    assert r.status_code == 201
    [refused] = r.get_json()["files_refused"]
    assert (refused["name"], refused["error"]) == ("appeal.pdf", "unexpected_part")
    assert "“files”" in refused["message"]


def test_files_refused_is_empty_when_all_is_well_and_on_a_retry(app, api):
    r = api("/api/v1/items", json=registration())
    assert (r.status_code, r.get_json()["files_refused"]) == (201, [])
    files = {"files": [(io.BytesIO(b""), "empty.pdf")]}
    first = register_multipart(api, files, **{"Idempotency-Key": "scan-1"})
    files = {"files": [(io.BytesIO(b""), "empty.pdf")]}
    again = register_multipart(api, files, **{"Idempotency-Key": "scan-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(first.get_json()["files_refused"]) == 1
    assert again.get_json()["files_refused"] == []  # nothing was attached the second time
    assert again.get_json()["id"] == first.get_json()["id"]


def test_r_reg_1_web_registration_with_an_empty_file_is_kept(app):
    c = web(app)
    data = form_data(files=[(io.BytesIO(b""), "empty.pdf"), (io.BytesIO(GOOD), "appeal.pdf")])
    r = c.post("/registry/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    item = db.session.scalars(select(IncomingItem)).one()
    assert [a.filename for a in item.attachments] == ["appeal.pdf"]
    body = html.unescape(c.get(r.headers["Location"]).get_data(as_text=True))
    assert f"Registered under number {item.reg_number}." in body
    assert "The file “empty.pdf” is empty." in body


# --- JSON that cannot be taken as sent ---------------------------------------------------------


def api_post_routes(app) -> list[str]:
    """Every POST route of the API with its parameters filled (a new route is covered too)."""
    item = api_item(app)
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or "POST" not in (rule.methods or ()):
            continue
        values = {}
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__
            values[name] = 1 if converter == "IntegerConverter" else item
        if "transition_id" in values:
            values["transition_id"] = "withdraw"
        if "action" in values:
            values["action"] = "distribute"
        urls.append(rule.build(values)[1])
    return urls


def api_item(app) -> str:
    """An item registered once per app (not through the API: that would replace its tokens)."""
    from docflow.registry.operations import ApplicantData, RegistrationData, register

    if not hasattr(app, "_bad_input_item"):
        item = register(
            RegistrationData(
                kind="statement",
                channel="post",
                applicants=[ApplicantData(full_name="Ким Ольга", address="Алматы")],
                addressee="Әкім",
                summary="Кәріз",
            ),
            user_by_username("clerk"),
        )
        db.session.commit()
        app._bad_input_item = item.public_id
    return app._bad_input_item


JSON_ROUTES = ("/api/v1/items", "/transitions/withdraw", "/routing/distribute", "/bulk-assign")
BULK_ASSIGNER = "head.energy"  # bulk assignment is the heads' (the others get a 403 first)


def test_deeply_nested_json_is_400_on_every_api_route(app):
    headers, head = bearer("controller"), bearer(BULK_ASSIGNER)
    c = app.test_client()
    urls = api_post_routes(app)
    assert sum(url.endswith(JSON_ROUTES) for url in urls) == len(JSON_ROUTES)
    for url in urls:
        as_ = head if url.endswith("/bulk-assign") else headers
        r = c.post(url, data=DEEP, content_type="application/json", headers=as_)
        assert 400 <= r.status_code < 500, (url, r.status_code)
        body = assert_error(r, r.status_code)
        if url.endswith(JSON_ROUTES):
            assert r.status_code == 400, url
            assert "nested too deeply" in body["message"]
    # Just within the limit is fine (no 400): the limit is a depth, not a ban on nesting.
    headers = bearer("clerk")
    nested = registration(extra=json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)))
    assert c.post("/api/v1/items", json=nested, headers=headers).status_code == 201
    too_deep = registration(extra=json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH))
    assert_error(c.post("/api/v1/items", json=too_deep, headers=headers), 400, "bad_request")


def test_deep_json_in_the_multipart_data_part_is_400(app, api):
    r = api("/api/v1/items", data={"data": DEEP}, content_type="multipart/form-data")
    assert "nested too deeply" in assert_error(r, 400, "bad_request")["message"]
    assert count(IncomingItem) == 0


RAW_SURROGATE = SURROGATE.replace("\\ud800", "\ud800").encode("utf-8", "surrogatepass")


@pytest.mark.parametrize(
    "body, field",
    [
        (SURROGATE, "summary"),
        (
            json.dumps(registration(applicants=[{"full_name": "\udc00", "address": "x"}])),
            "applicants.0.full_name",
        ),
        (json.dumps({**registration(), "\ud800x": 1}), "body"),
        (RAW_SURROGATE, "summary"),  # the surrogate's bytes, not an escape
    ],
)
def test_lone_surrogate_is_422_naming_the_field(app, api, body, field):
    r = api("/api/v1/items", data=body, content_type="application/json")
    body = assert_error(r, 422, "invalid")
    assert "surrogate" in body["fields"][field]
    assert count(IncomingItem) == 0


def test_lone_surrogate_is_4xx_on_every_api_route(app):
    headers, head = bearer("controller"), bearer(BULK_ASSIGNER)
    c = app.test_client()
    payload = '{"comment": "\\ud800", "summary": "\\udfff", "items": ["\\ud800"]}'
    for url in api_post_routes(app):
        as_ = head if url.endswith("/bulk-assign") else headers
        r = c.post(url, data=payload, content_type="application/json", headers=as_)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.get_data(as_text=True))
        body = assert_error(r, r.status_code)
        if url.endswith(JSON_ROUTES):
            assert r.status_code == 422 and "surrogate" in json.dumps(body["fields"]), url


def test_control_characters_are_removed_not_refused(app, api):
    data = registration(
        summary="Кәріз\x00 ағып\x07 жатыр\r\nекінші жол\tсоңы",
        applicants=[{"full_name": "Ким\x00 Ольга\x1b", "address": "Алматы\x7f", "iin": None}],
    )
    r = api("/api/v1/items", json=data, headers={"Idempotency-Key": "key\x01-7"})
    assert r.status_code == 201, r.get_data(as_text=True)
    item = item_by_public_id(r.get_json()["id"])
    assert item.summary == "Кәріз ағып жатыр\r\nекінші жол\tсоңы"  # tab and line breaks stay
    [a] = item.applicants
    assert (a.full_name, a.address) == ("Ким Ольга", "Алматы")
    assert item.idempotency_key.endswith(":key-7")


def test_over_long_strings_are_422_naming_the_field(app, api):
    too_long = "ә" * (MAX_JSON_STRING + 1)
    for data, field in [
        (registration(summary=too_long), "summary"),
        (
            registration(applicants=[{"full_name": "X", "address": too_long}]),
            "applicants.0.address",
        ),
        (registration(summary="ә" * 20001), "summary"),  # the field's own limit
    ]:
        body = assert_error(api("/api/v1/items", json=data), 422, "invalid")
        assert "at most" in body["fields"][field]
    item = api_item(app)
    r = api(f"/api/v1/items/{item}/transitions/withdraw", json={"comment": too_long})
    assert "at most" in assert_error(r, 422, "invalid")["fields"]["comment"]
    assert count(IncomingItem) == 1


@pytest.mark.parametrize(
    "data, content_type",
    [
        (b'{"summary": "\xff\xfe"}', "application/json"),  # not UTF-8
        ('{"page_count": NaN}', "application/json"),  # not JSON
        ('{"page_count": ' + "9" * 5000 + "}", "application/json"),  # a number Python refuses
        ("comment=x", "application/x-www-form-urlencoded"),  # not JSON at all
    ],
)
def test_bodies_that_are_not_json_are_400_on_action_routes_too(app, api, data, content_type):
    item = api_item(app)
    for url in ("/api/v1/items", f"/api/v1/items/{item}/routing/distribute"):
        assert_error(api(url, data=data, content_type=content_type), 400, "bad_request")


def test_wrong_types_on_routing_actions_are_422(app, api):
    item = api_item(app)
    api_c = app.test_client()
    headers = bearer("controller")
    for payload, field in [
        ({"subdivisions": 7}, "subdivisions"),
        ({"comment": {"a": 1}}, "comment"),
    ]:
        r = api_c.post(f"/api/v1/items/{item}/routing/distribute", json=payload, headers=headers)
        assert field in assert_error(r, 422, "invalid")["fields"]


def test_an_operation_refusing_a_file_is_422_not_500(app):
    """An empty answer document: the operation's refusal reaches the client as a 422."""
    from docflow.routing import operations as ops

    item = item_by_public_id(api_item(app))
    ops.distribute(item, user_by_username("controller"), ["ENERGY"])
    ops.assign_executors(
        item, user_by_username("head.energy"), [user_by_username("exec.energy").id]
    )
    db.session.commit()
    r = app.test_client().post(
        f"/api/v1/items/{item.public_id}/routing/answer",
        data={"data": json.dumps({"summary": "Жауап"}), "file": (io.BytesIO(b""), "a.pdf")},
        content_type="multipart/form-data",
        headers=bearer("exec.energy"),
    )
    assert "is empty" in assert_error(r, 422, "invalid")["fields"]["file"]


def test_a_value_the_database_refuses_is_422(make_app):
    """The safety net behind every check: PostgreSQL's "value too long" is the client's input."""
    app = make_app("demo")

    @app.route("/api/v1/_refused")
    def refused():
        raise DataError("INSERT …", {}, Exception("value too long for type character varying(300)"))

    with app.app_context():
        r = app.test_client().get("/api/v1/_refused", headers={"Accept-Language": "en"})
        assert "too long" in assert_error(r, 422, "invalid")["message"]


# --- the pages ---------------------------------------------------------------------------------


def test_page_json_endpoint_answers_bad_json_in_json(app):
    c = web(app)
    r = c.post("/registry/repeats", data=DEEP, content_type="application/json")
    assert "nested too deeply" in assert_error(r, 400, "bad_request")["message"]
    r = c.post("/registry/repeats", data='{"summary": "\\ud800"}', content_type="application/json")
    assert "surrogate" in assert_error(r, 422, "invalid")["fields"]["summary"]
    r = c.post(
        "/registry/repeats", json={"full_name": "Ким\x00", "iin": "9207\x00", "summary": "x"}
    )
    assert r.status_code == 200 and r.get_json()["candidates"] == []


def test_forms_and_query_strings_lose_control_characters(app):
    c = web(app)
    data = form_data(
        summary="Кәріз\x00 ағып жатыр\r\nекінші жол",
        **{"applicants-0-full_name": "Жұмабаева\x00 Айнұр\x1b", "addressee": "Әкім\x7f"},
    )
    r = c.post("/registry/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    item = db.session.scalars(select(IncomingItem)).one()
    assert item.summary == "Кәріз ағып жатыр\r\nекінші жол"
    assert (item.applicants[0].full_name, item.addressee) == ("Жұмабаева Айнұр", "Әкім")
    # Form-encoded bytes that are not UTF-8 (or a lone surrogate) arrive replaced, not as a 500.
    r = c.post(
        "/registry/new",
        data=b"summary=%ED%A0%80%FF&kind=statement",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code in (200, 422)
    r = c.get("/registry/?q=%D0%9A%00%D0%B8%D0%BC")
    assert r.status_code == 200
    assert c.get("/registry/%00abc").status_code == 404


# --- requests over the upload limit ------------------------------------------------------------


@pytest.fixture
def small_app(make_app):
    """Requests of at most 4 kB, and an item (registered before the limit matters)."""
    from docflow.registry.operations import ApplicantData, RegistrationData, register

    app = make_app("demo", MAX_CONTENT_LENGTH=4096)
    with app.app_context():
        item = register(
            RegistrationData(
                kind="statement",
                channel="post",
                applicants=[ApplicantData(full_name="Ким Ольга", address="Алматы")],
                addressee="Әкім",
                summary="Кәріз",
            ),
            user_by_username("clerk"),
        )
        db.session.commit()
        app._bad_input_item = item.public_id
        yield app


def test_oversized_request_is_413_with_a_way_back(small_app):
    app = small_app
    big = b"%PDF-1.4\n" + bytes(8192)
    c = web(app)
    item = app._bad_input_item
    # A page outside the records office (an answer upload): the error page leads back.
    item_page = f"http://localhost/registry/{item}"
    r = c.post(
        f"/routing/{item}/answer",
        data={"file": (io.BytesIO(big), "answer.pdf")},
        content_type="multipart/form-data",
        headers={"Referer": item_page},
    )
    assert (r.status_code, r.mimetype) == (413, "text/html")
    body = html.unescape(r.get_data(as_text=True))
    assert "at most 0.0 MB at once" in body and "Nothing was stored" in body
    assert f'href="{item_page}"' in body
    # A foreign referrer is not offered as the way back.
    r = c.post(
        f"/routing/{item}/answer",
        data={"file": (io.BytesIO(big), "answer.pdf")},
        content_type="multipart/form-data",
        headers={"Referer": "https://evil.example/x"},
    )
    assert r.status_code == 413 and "evil.example" not in r.get_data(as_text=True)
    # The registration page keeps the records office's own way back.
    r = c.post(
        "/registry/new",
        data={**form_data(), "files": [(io.BytesIO(big), "big.pdf")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413 and 'href="/registry/' in r.get_data(as_text=True)
    # The API: JSON with the limit, for a multipart registration and for a JSON body alike.
    headers = bearer("clerk")
    api_c = app.test_client()
    r = api_c.post(
        "/api/v1/items",
        data={"data": json.dumps(registration()), "files": [(io.BytesIO(big), "big.pdf")]},
        headers=headers,
    )
    assert "at most" in assert_error(r, 413)["message"]
    r = api_c.post("/api/v1/items", json=registration(summary="ә" * 5000), headers=headers)
    assert "at most" in assert_error(r, 413)["message"]
    assert count(IncomingItem) == 1  # only the fixture's
