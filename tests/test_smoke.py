def test_home_requires_login(client):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_login_and_home(client, login):
    r = login("clerk")
    assert r.status_code == 302
    r = client.get("/")
    assert r.status_code == 200
    assert "Сапарова" in r.get_data(as_text=True)


def test_home_is_role_aware(client, login):
    login("akim")
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Upcoming receptions" in page and "Records office" not in page
    client.post("/logout")
    login("clerk")
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Records office" in page and "Upcoming receptions" not in page
