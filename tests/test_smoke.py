def test_home_requires_login(client):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_login_and_home(client, login):
    r = login("clerk")
    assert r.status_code == 302
    r = client.get("/")
    assert r.status_code == 200
    assert "Сапарова" in r.get_data(as_text=True)
