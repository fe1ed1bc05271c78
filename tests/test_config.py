"""Configuration: defaults in code, instance/config.py, DOCFLOW_* environment variables."""

from __future__ import annotations

from docflow import create_app


def test_defaults_put_sqlite_and_secret_in_instance(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    monkeypatch.setenv("DOCFLOW_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("DOCFLOW_DATABASE_URL", raising=False)
    app = create_app()
    assert app.instance_path == str(instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'docflow.sqlite3'}"
    secret = (instance / "secret_key").read_text().strip()
    assert app.config["SECRET_KEY"] == secret and len(secret) >= 40
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only
    assert create_app().config["SECRET_KEY"] == secret  # stable across restarts


def test_instance_config_then_environment(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text(
        "MAX_CONTENT_LENGTH = 1234\nLOGIN_THROTTLE_ATTEMPTS = 3\nSECRET_KEY = 'from-file'\n"
    )
    monkeypatch.setenv("DOCFLOW_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("DOCFLOW_LOGIN_THROTTLE_ATTEMPTS", "7")
    monkeypatch.setenv("DOCFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    monkeypatch.setenv("DOCFLOW_SESSION_COOKIE_SECURE", "true")
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 1234  # from instance/config.py
    assert app.config["LOGIN_THROTTLE_ATTEMPTS"] == 7  # environment wins
    assert app.config["SESSION_COOKIE_SECURE"] is True  # JSON-parsed
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.db")
