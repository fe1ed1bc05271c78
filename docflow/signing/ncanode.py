"""GOST signatures, verified by an NCANode server (``DOCFLOW_NCANODE_URL``).

Python's crypto libraries cannot check Kazakh GOST 34.310 signatures; NCANode (a server around
NCA RK's Kalkan library) can. Its ``POST /cms/verify`` takes the CMS and, for a detached one, the
signed data, and answers whether the signature and its chain are valid. docflow still applies
its own rules (purpose, IIN, BIN) to the certificate.

Not tested against a real NCANode: the request and answer follow NCANode 3's ``CmsController``
(``{"revocationCheck": ["OCSP", "CRL"], "cms", "data"}`` → ``{"status", "message", "valid",
"signers": [{"certificates", "tsp"}]}``), and the tests serve that shape.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field


class NcanodeUnavailable(Exception):
    """NCANode could not be reached or gave an unreadable answer."""


@dataclass(frozen=True)
class NcanodeVerdict:
    valid: bool
    message: str = ""
    signers: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)


def ncanode_verify_cms(
    base_url: str,
    cms_der: bytes,
    data: bytes,
    *,
    revocation: tuple[str, ...] = ("OCSP",),
    timeout: float = 15.0,
) -> NcanodeVerdict:
    """Ask NCANode to verify a detached CMS over ``data``."""
    if not base_url.startswith(("http://", "https://")):
        raise NcanodeUnavailable("NCANode URL must be http:// or https://")
    body = json.dumps(
        {
            "revocationCheck": list(revocation),
            "cms": base64.b64encode(cms_der).decode("ascii"),
            "data": base64.b64encode(data).decode("ascii"),
        }
    ).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 — scheme checked above
        base_url.rstrip("/") + "/cms/verify",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            answer = json.loads(exc.read().decode("utf-8"))
        except (ValueError, OSError):
            raise NcanodeUnavailable(f"HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise NcanodeUnavailable(str(exc)) from exc
    if not isinstance(answer, dict):
        raise NcanodeUnavailable("unexpected answer")
    return NcanodeVerdict(
        valid=answer.get("valid") is True,
        message=str(answer.get("message") or ""),
        signers=list(answer.get("signers") or []),
        raw=answer,
    )
