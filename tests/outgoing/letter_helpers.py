"""Letters' tests: a PKI shaped like NCA RK's, a signing-ready world, and API calls."""

from __future__ import annotations

import base64
import functools
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from docflow.api import issue_token
from docflow.extensions import db
from docflow.outgoing.letter_signing import add_trusted, import_keystore
from docflow.signing.pki import CertificateAuthority

HEAD_IIN = "750412300451"
OTHER_IIN = "820901400789"
PASSPHRASE = "Qwerty12"


@functools.cache
def make_letter_pki() -> SimpleNamespace:
    """Built once per test run (RSA keys are slow to make); nothing here is mutated."""
    now = datetime.now(UTC)
    root = CertificateAuthority.create(
        "Test NCA RK Root (RSA)", not_before=now - timedelta(days=400)
    )
    ca = root.intermediate(
        "Test ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)", not_before=now - timedelta(days=300)
    )
    other_root = CertificateAuthority.create("Some Other CA")
    return SimpleNamespace(
        root=root,
        ca=ca,
        head=ca.issue("ҚАСЫМОВ БАҚЫТЖАН", iin=HEAD_IIN),
        wrong_iin=ca.issue("ИВАНОВА АННА", iin=OTHER_IIN),
        auth=ca.issue("ҚАСЫМОВ БАҚЫТЖАН", iin=HEAD_IIN, purpose="auth"),
        expired=ca.issue(
            "ҚАСЫМОВ БАҚЫТЖАН",
            iin=HEAD_IIN,
            not_before=now - timedelta(days=60),
            not_after=now - timedelta(days=10),
        ),
        other_ca=other_root.issue("ҚАСЫМОВ БАҚЫТЖАН", iin=HEAD_IIN),
    )


def setup_signer(users, pki, issued=None, iin: str = HEAD_IIN) -> None:
    """Trust the test roots, record head.energy's IIN and store a key file for them."""
    add_trusted(pki.root.cert_pem + pki.ca.cert_pem)
    head = users["head.energy"]
    head.employee.iin = iin
    import_keystore(head, (issued or pki.head).pkcs12(PASSPHRASE), PASSPHRASE)
    db.session.commit()


class Api:
    """Bearer-token calls as a demo user."""

    def __init__(self, app, users) -> None:
        self.client, self.users, self.tokens = app.test_client(), users, {}

    def _headers(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            self.tokens[who] = issue_token(self.users[who])
            db.session.commit()
        return {"Authorization": f"Bearer {self.tokens[who]}", "Accept-Language": "en"}

    def post(self, who: str, path: str, body=None):
        return self.client.post("/api/v1" + path, json=body or {}, headers=self._headers(who))

    def get(self, who: str, path: str):
        return self.client.get("/api/v1" + path, headers=self._headers(who))


ANSWER = {
    "kind": "answer",
    "final": True,
    "language": "ru",
    "decision": "explained",
    "body": "Уважаемый заявитель! По Вашему обращению сообщаем: подача тепла восстановлена.",
    "legal_basis": "Закон РК «О теплоэнергетике», ст. 15",
}


def approved_letter(api: Api, item, body=None) -> str:
    """A final answer on ``item`` written by exec.energy and approved by head.energy."""
    r = api.post("exec.energy", f"/items/{item.public_id}/letters", body or ANSWER)
    assert r.status_code == 201, r.get_json()
    lid = r.get_json()["id"]
    assert api.post("exec.energy", f"/letters/{lid}/submit").status_code == 200
    assert api.post("head.energy", f"/letters/{lid}/approve").status_code == 200
    return lid


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
