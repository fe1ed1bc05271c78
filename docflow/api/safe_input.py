"""Safe request input for the API and the web pages: one place that reads what clients send.

Every request of the app uses :class:`SafeRequest` (``install``):

- JSON bodies (``request.get_json``, for the API and the pages' JSON endpoints) are parsed by
  :func:`loads`: nesting deeper than ``MAX_JSON_DEPTH`` is a 400, a lone UTF-16 surrogate
  (``"\\ud800"``, which no database can store) or a string longer than ``MAX_JSON_STRING`` is
  a 422 naming the field, ``NaN``/``Infinity`` are not JSON; control characters are removed.
- Form fields and query strings lose their control characters (NUL breaks PostgreSQL), so
  every form is cleaned before WTForms or a view sees it.
- A path with control characters names nothing: 404.

Tab, line feed and carriage return are text and are kept. Refusals are :class:`BadInput`, an
HTTP exception rendered by ``docflow.errors`` as ``{"error", "message", "fields"}`` (JSON) or
an error page.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request, abort, current_app, has_app_context, request
from flask import json as flask_json
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.utils import cached_property

MAX_JSON_DEPTH = 32  # a registration needs 3 levels
MAX_JSON_STRING = 100_000  # characters; the longest field (a summary) allows 20,000

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
SURROGATE = re.compile("[\ud800-\udfff]")


class BadInput(HTTPException):
    """A request whose content cannot be taken as sent, with a readable message."""

    def __init__(
        self, status: int, error: str, message: Any, fields: dict[str, Any] | None = None
    ) -> None:
        self.code = status
        super().__init__(str(message))
        self.error = error
        self.fields = {k: str(v) for k, v in (fields or {}).items()}


def clean_text(value: str) -> str:
    """The text without control characters (tab and line breaks stay)."""
    return CONTROL.sub("", value) if CONTROL.search(value) else value


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default)) if has_app_context() else default


def _invalid_text(path: str, message: Any) -> BadInput:
    return BadInput(422, "invalid", _l("The data is not valid."), fields={path or "body": message})


def _clean(value: Any, path: str, depth: int, limits: tuple[int, int]) -> Any:
    max_depth, max_string = limits
    if isinstance(value, str):
        if SURROGATE.search(value):
            raise _invalid_text(
                path, _l("The text contains an invalid character (a lone UTF-16 surrogate).")
            )
        if len(value) > max_string:
            raise _invalid_text(path, _l("Too long: at most %(n)d characters.", n=max_string))
        return clean_text(value)
    if isinstance(value, list | dict):
        if depth >= max_depth:
            raise BadInput(
                400,
                "bad_request",
                _l("The JSON is nested too deeply (at most %(n)d levels).", n=max_depth),
            )
        if isinstance(value, list):
            return [
                _clean(v, f"{path}.{i}" if path else str(i), depth + 1, limits)
                for i, v in enumerate(value)
            ]
        out = {}
        for key, v in value.items():
            name = _clean(key, path, depth + 1, limits)
            out[name] = _clean(v, f"{path}.{name}" if path else name, depth + 1, limits)
        return out
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON from a client: malformed input is a ValueError; see the module for the rest."""
    kwargs.setdefault("parse_constant", _not_json)
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:  # deeper than the parser goes: certainly deeper than allowed
        depth = _setting("MAX_JSON_DEPTH", MAX_JSON_DEPTH)
        raise BadInput(
            400, "bad_request", _l("The JSON is nested too deeply (at most %(n)d levels).", n=depth)
        ) from None
    limits = (
        _setting("MAX_JSON_DEPTH", MAX_JSON_DEPTH),
        _setting("MAX_JSON_STRING", MAX_JSON_STRING),
    )
    return _clean(value, "", 0, limits)


class _SafeJSON:
    """``Request.json_module``: safe ``loads``; ``dumps`` as Flask's."""

    loads = staticmethod(loads)

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return flask_json.dumps(obj, **kwargs)


def _clean_multidict(md: Any, storage: type) -> Any:
    pairs = list(md.items(multi=True))
    if not any(CONTROL.search(k) or CONTROL.search(v) for k, v in pairs if isinstance(v, str)):
        return md
    return storage([(clean_text(k), clean_text(v) if isinstance(v, str) else v) for k, v in pairs])


class SafeRequest(Request):
    @property
    def json_module(self):  # type: ignore[override]
        return _SafeJSON

    @json_module.setter
    def json_module(self, _value: Any) -> None:
        pass  # Flask sets ``app.json`` on each request: requests keep the safe parser

    @cached_property
    def args(self):  # type: ignore[override]
        return _clean_multidict(super().args, self.parameter_storage_class)

    def _load_form_data(self) -> None:
        loaded = "form" in self.__dict__
        super()._load_form_data()
        if not loaded:
            self.__dict__["form"] = _clean_multidict(
                self.__dict__["form"], self.parameter_storage_class
            )


def _check_path() -> None:
    if CONTROL.search(request.path):
        abort(404)


def install(app: Flask) -> None:
    app.request_class = SafeRequest
    app.before_request(_check_path)
