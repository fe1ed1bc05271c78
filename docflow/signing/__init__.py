"""Digital signatures on outgoing letters with Kazakhstan's national PKI (NCA RK).

A library: it imports no docflow domain and keeps no state. The outgoing domain stores keystores,
pending NCALayer sessions and trusted roots, and calls these functions:

* :func:`load_pkcs12` — open a head's ``.p12`` with the passphrase typed at signing.
* :func:`sign_pdf` — PAdES signature on the server with that keystore.
* :func:`prepare` / :func:`finish` — NCALayer: digest for the browser, then embed its CMS.
* :func:`verify_pdf` — every signature: intact, trusted, valid then, signing key, IIN/BIN.
* :mod:`.pki` — a CA and NCA RK-shaped certificates for tests and ``flask pki demo``.

Refusals raise :class:`SigningError` (signing) or are listed as :class:`Failure` (verification),
both with a machine ``code`` from :data:`CODES` and a translatable ``message``.
"""

from .certinfo import AUTH_EKU, SIGNING_EKU, CertificateInfo, describe
from .errors import CODES, Failure, SigningError
from .keystore import Keystore, load_pkcs12
from .pades import (
    PendingSignature,
    SigningOptions,
    check_external_cms,
    digest_algorithm_for,
    finish,
    prepare,
    sign_pdf,
)
from .trust import TrustSettings
from .verify import SignatureReport, VerificationResult, verify_pdf

__all__ = [
    "AUTH_EKU",
    "CODES",
    "SIGNING_EKU",
    "CertificateInfo",
    "Failure",
    "Keystore",
    "PendingSignature",
    "SignatureReport",
    "SigningError",
    "SigningOptions",
    "TrustSettings",
    "VerificationResult",
    "check_external_cms",
    "describe",
    "digest_algorithm_for",
    "finish",
    "load_pkcs12",
    "prepare",
    "sign_pdf",
    "verify_pdf",
]
