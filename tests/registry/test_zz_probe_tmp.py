from tests.registry.test_api import bearer, registration


def test_probe(app, client):
    h = bearer("clerk")
    for changes in [
        {"addressee": 5},
        {"language": ["kk"]},
        {"external_number": 7},
        {"idempotency_key": ["a"]},
        {"idempotency_key": "x" * 150},
        {"addressee": "x" * 301},
        {"applicants": [{"full_name": {"a": 1}, "address": "x"}]},
        {"applicants": [{"full_name": "x" * 301, "address": "x"}]},
        {"page_count": True},
        {"summary": 5},
    ]:
        r = client.post("/api/v1/items", json=registration(**changes), headers=h)
        print(
            changes if len(str(changes)) < 80 else str(changes)[:80],
            r.status_code,
            r.get_data(as_text=True)[:150],
        )
    r = client.post(
        "/api/v1/items", json=registration(), headers={**h, "Idempotency-Key": "k" * 300}
    )
    print("hdr", r.status_code, r.get_data(as_text=True)[:150])
    r = client.post("/api/v1/items", json=registration(), headers=h)
    pid = r.get_json()["id"]
    for body in [
        {"comment": ["x"]},
        {"comment": "x", "params": ["a"]},
        {"comment": "x", "params": {"a": 1}},
        {"comment": 5},
    ]:
        r = client.post(f"/api/v1/items/{pid}/transitions/withdraw", json=body, headers=h)
        print("t", body, r.status_code, r.get_data(as_text=True)[:150])
