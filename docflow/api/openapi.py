"""The OpenAPI 3.1 description of the REST API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from docflow.api.openapi_letters import letters_paths, letters_schemas
from docflow.registry.operations import LINK_KINDS
from docflow.registry.vocab import APPLICANT_TYPES, CHANNELS, KINDS, LANGUAGES


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


SEARCH_FIELDS = {
    "q": {"type": "string", "description": "Words, and/or an applicant's IIN or BIN"},
    "kind": {"type": "string", "enum": sorted(KINDS)},
    "channel": {"type": "string", "enum": sorted(CHANNELS)},
    "state": {"type": "string"},
    "subdivision": {"type": "string", "description": "Subdivision code"},
    "date_from": {"type": "string", "format": "date"},
    "date_to": {"type": "string", "format": "date"},
    "overdue": {"type": "boolean"},
    "from_reception": {"type": "boolean"},
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
}


def _items_search(errors: dict[str, Any]) -> dict[str, Any]:
    """POST /items/search: the journal search with the filters in the body (R-PD-1)."""
    return {
        "post": {
            "summary": "Search the journal, e.g. by IIN/BIN, without putting it in the URL",
            "description": "The filters of GET /items as a JSON object; the same result. "
            "A read: nothing is changed.",
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": SEARCH_FIELDS,
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "A page of items, as from GET /items",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "items": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Item"},
                                    },
                                    "page": {"type": "integer"},
                                    "per_page": {"type": "integer"},
                                    "has_next": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                **errors,
            },
        }
    }


def spec() -> dict[str, Any]:
    errors = {
        "400": _error("Malformed request: not a JSON object, or nested too deeply"),
        "401": _error("Missing or invalid API token"),
        "403": _error("The token's user may not do this"),
        "413": _error("Upload larger than the configured limit"),
        "422": _error(
            "Invalid data (a lone surrogate or an over-long text too); `fields` names each problem"
        ),
    }
    item_id = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "docflow API",
            "version": "1.0.0",
            "description": "Registration and lookup of incoming documents for integrations (e-Otinish, scanners). "
            "Authenticate with `Authorization: Bearer <token>` (`flask users token USERNAME`). "
            "`Idempotency-Key` on POST /items makes a retried registration return the first one.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/items/oral": {
                "post": {
                    "summary": "Register an oral or phone appeal with its protocol (R-REG-2)",
                    "description": "The body of POST /items with `channel` `oral` or `phone`, "
                    "plus `words` (the applicant's words, required) and `caller_phone`; the "
                    "protocol (DOCX) is attached to the item, registered like a written one.",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "schema": {"type": "string", "maxLength": 100},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "allOf": [
                                        {"$ref": "#/components/schemas/Registration"},
                                        {
                                            "type": "object",
                                            "properties": {
                                                "words": {"type": "string"},
                                                "caller_phone": {"type": "string"},
                                            },
                                            "required": ["words"],
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Registered, with the protocol attached",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Item"}
                                }
                            },
                        },
                        "200": {
                            "description": "Already registered with this Idempotency-Key",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Item"}
                                }
                            },
                        },
                        **errors,
                    },
                }
            },
            "/items": {
                "post": {
                    "summary": "Register an incoming item (JSON, or multipart with a `data` JSON part and `files`)",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "schema": {"type": "string", "maxLength": 100},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Registration"}
                            },
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "data": {
                                            "type": "string",
                                            "description": "Registration as JSON",
                                        },
                                        "files": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "binary"},
                                        },
                                    },
                                    "required": ["data"],
                                }
                            },
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Registered",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Item"}
                                }
                            },
                        },
                        "409": _error(
                            "A likely duplicate: `item` and `reg_number` name the earlier one"
                        ),
                        "200": {
                            "description": "Already registered with this Idempotency-Key",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Item"}
                                }
                            },
                        },
                        **errors,
                    },
                },
                "get": {
                    "summary": "List and search the journal",
                    "description": "An IIN or BIN in any parameter is refused with 400 "
                    "`identifier_in_url` (R-PD-1: URLs end up in logs): search with "
                    "POST /items/search instead.",
                    "parameters": [
                        {"name": n, "in": "query", "schema": {"type": t}}
                        for n, t in (
                            ("q", "string"),
                            ("kind", "string"),
                            ("channel", "string"),
                            ("state", "string"),
                            ("subdivision", "string"),
                            ("date_from", "string"),
                            ("date_to", "string"),
                            ("overdue", "boolean"),
                            ("from_reception", "boolean"),
                            ("page", "integer"),
                            ("per_page", "integer"),
                        )
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of items",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "items": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Item"},
                                            },
                                            "page": {"type": "integer"},
                                            "per_page": {"type": "integer"},
                                            "has_next": {"type": "boolean"},
                                        },
                                    }
                                }
                            },
                        },
                        **errors,
                    },
                },
            },
            "/items/search": _items_search(errors),
            "/items/{item_id}": {
                "get": {
                    "summary": "Read an item",
                    "parameters": [item_id],
                    "responses": {
                        "200": {
                            "description": "The item",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Item"}
                                }
                            },
                        },
                        "404": _error("No such item"),
                        **errors,
                    },
                },
            },
            "/items/{item_id}/attachments": {
                "post": {
                    "summary": "Attach files (multipart parts named `files`)",
                    "parameters": [item_id],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "files": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "binary"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "Stored; text extraction runs in the background"},
                        "404": _error("No such item"),
                        **errors,
                    },
                }
            },
            "/items/{item_id}/transitions/{transition}": {
                "post": {
                    "summary": "Do a workflow action on the item",
                    "parameters": [
                        item_id,
                        {
                            "name": "transition",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "comment": {"type": "string"},
                                        "params": {"type": "object"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": {"description": "Done"},
                        "404": _error("No such item"),
                        "409": _error("Not possible in the item's state"),
                        **errors,
                    },
                }
            },
            **letters_paths(errors),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **letters_schemas(),
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object"},
                    },
                },
                "Applicant": {
                    "type": "object",
                    "properties": {
                        "type": {"enum": list(APPLICANT_TYPES)},
                        "full_name": {"type": "string"},
                        "iin": {"type": "string", "pattern": "^[0-9]{12}$"},
                        "organisation_name": {"type": "string"},
                        "bin": {"type": "string", "pattern": "^[0-9]{12}$"},
                        "representative": {"type": "string"},
                        "authority_document": {"type": "string"},
                        "address": {"type": "string"},
                        "phone": {"type": "string"},
                        "email": {"type": "string"},
                        "country": {"type": "string"},
                        "needs_interpreter": {"type": "boolean"},
                    },
                },
                "Registration": {
                    "type": "object",
                    "required": ["kind", "channel"],
                    "properties": {
                        "kind": {"enum": list(KINDS)},
                        "channel": {"enum": list(CHANNELS)},
                        "applicants": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Applicant"},
                        },
                        "addressee": {"type": "string"},
                        "summary": {"type": "string"},
                        "language": {"enum": list(LANGUAGES)},
                        "arrived_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "Naive times are Asia/Almaty",
                        },
                        "arrival_reason": {
                            "type": "string",
                            "maxLength": 1000,
                            "description": "Required when the arrival's registration day is before today: "
                            "why it is registered only now (400 arrival_reason_required without it). "
                            "The item is numbered today; its term counts from the arrival.",
                        },
                        "confirm_duplicate": {
                            "type": "boolean",
                            "description": "Register although a likely duplicate (the same applicant, "
                            "a similar summary, within the office's window) was registered minutes "
                            "before; without it such a registration is 409 likely_duplicate "
                            "naming the earlier item and reg_number.",
                        },
                        "external_number": {"type": "string"},
                        "external_date": {"type": "string", "format": "date"},
                        "page_count": {"type": "integer", "minimum": 0},
                        "from_reception": {"type": "boolean"},
                        "anonymous": {"type": "boolean"},
                        "signed": {"type": "boolean"},
                        "link_to": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "item": {"type": "string"},
                                    "kind": {"enum": list(LINK_KINDS)},
                                },
                            },
                        },
                    },
                },
                "Item": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "reg_number": {"type": "string"},
                        "state": {"type": "string"},
                        "kind": {"type": "string"},
                        "channel": {"type": "string"},
                        "registration_date": {"type": "string", "format": "date"},
                        "due_date": {"type": ["string", "null"], "format": "date"},
                        "applicants": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Applicant"},
                        },
                        "attachments": {"type": "array", "items": {"type": "object"}},
                        "files_refused": {
                            "type": "array",
                            "description": "In the answer to a registration: the files not "
                            "stored (empty, too large…); the item is registered all the same "
                            "(R-REG-1). `error`: empty | too_large | forbidden | "
                            "unexpected_part | refused.",
                            "items": {
                                "type": "object",
                                "required": ["name", "error", "message"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "error": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
