"""The outgoing letters' part of the OpenAPI description (issue 10's fixed paths), merged into
:func:`docflow.api.openapi.spec`: drafting, approval, the two ways of signing, the PDF, dispatch."""

from __future__ import annotations

from typing import Any

LETTER_ID = {"name": "letter_id", "in": "path", "required": True, "schema": {"type": "string"}}
ITEM_ID = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _json(schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: str = "Letter") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def letters_paths(errors: dict[str, Any]) -> dict[str, Any]:
    """Every ``/letters`` path of the API, and the letters of an item."""
    refused = _error(
        "The signature was refused and nothing changed (`error`: signature_rejected, `reason`: "
        "the machine code, e.g. not_trusted, expired, revoked, revocation_unknown, "
        "wrong_purpose, iin_mismatch, timestamp_failed, gost_signing_unsupported)",
        "SignatureRejected",
    )

    def post(summary, body, ok, *extra, code="200", signing=False) -> dict[str, Any]:
        responses = {
            code: ok,
            "404": _error("No such letter"),
            "409": _error("Not possible in the letter's state"),
            **errors,
        }
        if signing:
            responses["422"] = refused
        op: dict[str, Any] = {"summary": summary, "parameters": [LETTER_ID, *extra]}
        if body is not None:
            op["requestBody"] = body
        return {"post": {**op, "responses": responses}}

    def obj(required: tuple[str, ...] = (), **properties) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = list(required)
        return out

    b64 = {"type": "string", "contentEncoding": "base64"}
    comment = _json(obj(comment={"type": "string"}))
    signed = _answer("Signed and registered: `state` is signed, `reg_number` its outgoing number")
    session = {"name": "session", "in": "path", "required": True, "schema": {"type": "string"}}
    pdf = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    return {
        "/items/{item_id}/letters": {
            "post": {
                "summary": "Draft a letter on the item (the executor or the head)",
                "parameters": [ITEM_ID],
                "requestBody": _json(_ref("LetterDraft"), required=True),
                "responses": {
                    "201": _answer("The draft letter"),
                    "404": _error("No such item"),
                    **errors,
                },
            }
        },
        "/letters/{letter_id}": {
            "get": {
                "summary": "Read a letter",
                "parameters": [LETTER_ID],
                "responses": {
                    "200": _answer("The letter"),
                    "404": _error("No such letter"),
                    **errors,
                },
            }
        },
        "/letters/{letter_id}/pdf": {
            "get": {
                "summary": "The letter as PDF: the signed PDF once signed, else a marked draft",
                "parameters": [LETTER_ID],
                "responses": {
                    "200": {"description": "The PDF", "content": pdf},
                    "404": _error("No such letter"),
                    **errors,
                },
            }
        },
        "/letters/{letter_id}/submit": post(
            "Submit the draft for approval (R-ANS-1 for a final answer)",
            comment,
            _answer("Submitted"),
        ),
        "/letters/{letter_id}/approve": post(
            "Approve the letter (an approval-sheet step, or the head)",
            comment,
            _answer("Approved"),
        ),
        "/letters/{letter_id}/return": post(
            "Return the letter for revision",
            _json(obj(("comment",), comment={"type": "string"}), required=True),
            _answer("Back to draft"),
        ),
        "/letters/{letter_id}/signing": post(
            "Start signing with NCALayer: the digest of the prepared PDF to sign",
            _json(
                obj(
                    certificate={
                        **b64,
                        "description": "The signer's certificate (DER): chooses the digest "
                        "algorithm (sha256 for RSA) and pins the signer",
                    }
                )
            ),
            _answer("The signing session", "SigningStart"),
            signing=True,
        ),
        "/letters/{letter_id}/signing/{session}": post(
            "Finish signing: the detached CMS NCALayer returned over the digest",
            _json(obj(("cms",), cms={**b64, "description": "DER"}), required=True),
            signed,
            session,
            signing=True,
        ),
        "/letters/{letter_id}/sign": post(
            "Sign on the server with the head's stored key file",
            _json(
                obj(
                    ("passphrase",),
                    passphrase={"type": "string", "description": "The key file's, never stored"},
                ),
                required=True,
            ),
            signed,
            signing=True,
        ),
        "/letters/{letter_id}/dispatch": post(
            "Send the signed letter: e-mail, post, e-Otinish package or by hand",
            _json(_ref("DispatchRequest"), required=True),
            {
                "description": "The dispatch (an e-mail that failed is recorded with `status` "
                "failed and its `error`; post again to retry)",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            code="201",
        ),
    }


def letters_schemas() -> dict[str, Any]:
    nullable = {"type": ["string", "null"]}
    return {
        "LetterDraft": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "description": "answer, or a notice kind"},
                "final": {"type": "boolean"},
                "language": {"enum": ["kk", "ru"]},
                "decision": {"enum": ["explained", "satisfied", "partly", "refused"]},
                "body": {"type": "string"},
                "legal_basis": {"type": "string"},
                "complaint": {
                    "type": "string",
                    "description": "The right to complain (R-ANS-1); default from the profile",
                },
            },
        },
        "Letter": {
            "type": "object",
            "required": ["id", "state"],
            "properties": {
                "id": {"type": "string"},
                "item": {"type": "string"},
                "state": {
                    "enum": ["draft", "submitted", "approved", "signed", "registered", "sent"]
                },
                "kind": {"type": "string"},
                "final": {"type": "boolean"},
                "language": {"type": "string"},
                "decision": nullable,
                "body": {"type": "string"},
                "legal_basis": nullable,
                "complaint": nullable,
                "reg_number": {**nullable, "description": "The outgoing number, given at signing"},
                "registered_on": {"type": ["string", "null"], "format": "date"},
                "signed_by": nullable,
                "signed_at": {"type": ["string", "null"], "format": "date-time"},
                "signed_sha256": nullable,
            },
        },
        "SigningStart": {
            "type": "object",
            "required": ["session", "digest", "digest_algorithm"],
            "properties": {
                "session": {"type": "string"},
                "digest": {"type": "string", "contentEncoding": "base64"},
                "digest_algorithm": {"type": "string", "examples": ["sha256"]},
            },
        },
        "SignatureRejected": {
            "type": "object",
            "required": ["error", "message", "reason"],
            "properties": {
                "error": {"const": "signature_rejected"},
                "message": {"type": "string"},
                "reason": {"type": "string"},
            },
        },
        "DispatchRequest": {
            "type": "object",
            "required": ["channel"],
            "properties": {
                "channel": {"enum": ["email", "post", "eotinish", "hand"]},
                "to": {
                    "type": "string",
                    "description": "email: the address (default: the applicant's)",
                },
                "address": {"type": "string", "description": "post: default the applicant's"},
                "recipient": {"type": "string"},
                "tracking": {"type": "string"},
                "received_by": {"type": "string", "description": "hand: who received it"},
                "at": {"type": "string", "format": "date-time"},
            },
        },
    }
