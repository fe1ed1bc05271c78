"""Personal-reception pages. Routes live in view modules that attach to this blueprint."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("protocols", __name__, url_prefix="/reception")
# Public pages (no login): the published reception schedule (R-RECV-2).
public_bp = Blueprint("public", __name__, url_prefix="/public")
