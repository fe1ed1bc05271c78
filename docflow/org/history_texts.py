"""Accounts', settings' and exports' sentences in the readable history (core.history_text)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from docflow.core import history_text as ht
from docflow.extensions import db

ACCOUNTS, SETTINGS, EXPORTS = "accounts", "settings", "exports"


def user_label(object_id: str) -> str | None:
    from docflow.org.models import User

    user = db.session.get(User, int(object_id))
    return str(_l("account %(name)s", name=user.username)) if user is not None else None


def setting_label(object_id: str) -> str | None:
    return str(_l("setting “%(key)s”", key=object_id))


def register() -> None:
    ht.register_group(ACCOUNTS, _l("Sign-ins and accounts"))
    ht.register_group(SETTINGS, _l("Organisation and settings"))
    ht.register_group(EXPORTS, _l("Exports and backups"))
    ht.register_object(
        "user_account",
        _l("account"),
        group=ACCOUNTS,
        label=user_label,
        hidden_fields=("password_hash", "api_token_hash"),
    )
    ht.register_object("role_grant", _l("role"), group=ACCOUNTS)
    ht.register_object("login_failure", _l("failed sign-in"), group=ACCOUNTS)
    ht.register_object("substitution", _l("substitution of a head"), group=ACCOUNTS)
    for object_type, noun in {
        "organisation": _l("organisation"),
        "subdivision": _l("subdivision"),
        "official": _l("official"),
        "employee": _l("employee"),
        "former_employee": _l("former employee"),
        "scheduled_change": _l("scheduled change"),
        "setting_version": _l("setting version"),
    }.items():
        ht.register_object(object_type, noun, group=SETTINGS)
    ht.register_object(
        "setting", _l("setting"), group=SETTINGS, label=setting_label, hidden_fields=("key",)
    )
    ht.register_action("login", _l("%(actor)s signed in"), group=ACCOUNTS)
    ht.register_action("logout", _l("%(actor)s signed out"), group=ACCOUNTS)
    ht.register_action("deactivate_user", _l("%(actor)s deactivated %(object)s"), group=ACCOUNTS)
    ht.register_action("reactivate_user", _l("%(actor)s reactivated %(object)s"), group=ACCOUNTS)
    ht.register_action("export", _l("%(actor)s exported %(object)s"), group=EXPORTS)
    ht.register_action("cases_export", _l("%(actor)s exported %(cases)s case(s)"), group=EXPORTS)
    ht.register_action(
        "cases_import",
        _l("%(actor)s imported cases: %(created)s new, %(replaced)s replaced"),
        group=EXPORTS,
    )
    ht.register_action("backup.create", _l("%(actor)s made a backup"), group=EXPORTS)
    ht.register_action("backup.restore", _l("%(actor)s restored a backup"), group=EXPORTS)
    ht.register_object("journal", _l("the journal"), group=EXPORTS)
    ht.register_object("backup", _l("backup"), group=EXPORTS)
    ht.register_field_titles(
        {
            "username": _l("user name"),
            "locale": _l("language"),
            "active": _l("active"),
            "full_name": _l("name"),
            "value": _l("value"),
            "key": _l("key"),
            "is_head": _l("head"),
            "code": _l("code"),
            "names": _l("names"),
            "role": _l("role"),
        }
    )
