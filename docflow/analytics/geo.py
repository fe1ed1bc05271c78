"""The districts' map: a GeoJSON the office uploads (no tiles from the internet).

Stored as the setting ``analytics_geojson``: a FeatureCollection of (Multi)Polygons, each
feature's ``properties.code`` a district code of the profile (``properties.district`` is accepted
too). Validation refuses anything else with a message that says what is wrong, and keeps nothing.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from docflow.analytics import charts
from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.core.settings import get_setting, set_setting

SETTING = "analytics_geojson"
MAX_BYTES = 5 * 1024 * 1024


class GeoJSONRejected(DomainError):
    status = 422
    code = "invalid_geojson"


def code_of(feature: dict[str, Any]) -> str | None:
    props = feature.get("properties") or {}
    value = props.get("code") or props.get("district")
    return str(value) if value else None


def _valid_ring(ring: Any) -> bool:
    return (
        isinstance(ring, list)
        and len(ring) >= 3
        and all(
            isinstance(p, list | tuple)
            and len(p) >= 2
            and all(isinstance(c, int | float) for c in p[:2])
            for p in ring
        )
    )


def parse(data: bytes, district_codes: set[str]) -> dict[str, Any]:
    """The uploaded file as a FeatureCollection of the profile's districts, or GeoJSONRejected."""
    if len(data) > MAX_BYTES:
        raise GeoJSONRejected(_l("The file is larger than 5 MB."))
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise GeoJSONRejected(_l("The file is not GeoJSON (JSON could not be read).")) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise GeoJSONRejected(_l("The file must be a GeoJSON FeatureCollection."))
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise GeoJSONRejected(_l("The FeatureCollection has no features."))
    kept = []
    for n, feature in enumerate(features, start=1):
        geometry = (feature or {}).get("geometry") if isinstance(feature, dict) else None
        kind = (geometry or {}).get("type")
        coords = (geometry or {}).get("coordinates")
        rings = (
            coords
            if kind == "Polygon"
            else [r for poly in coords for r in poly]
            if kind == "MultiPolygon" and isinstance(coords, list)
            else None
        )
        if not isinstance(rings, list) or not rings or not all(_valid_ring(r) for r in rings):
            raise GeoJSONRejected(_l("Feature %(n)s is not a polygon with coordinates.", n=n))
        code = code_of(feature)
        if code not in district_codes:
            raise GeoJSONRejected(
                _l(
                    "Feature %(n)s: “%(code)s” is not a district code of the profile (%(codes)s).",
                    n=n,
                    code=code or "",
                    codes=", ".join(sorted(district_codes)),
                )
            )
        kept.append({"type": "Feature", "properties": {"code": code}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": kept}


@atomic
def store(data: bytes, district_codes: set[str]) -> int:
    collection = parse(data, district_codes)
    set_setting(SETTING, collection)
    return len(collection["features"])


def district_map(values: dict[str, int], label_of, *, title: str, href=None) -> Markup:
    collection = get_setting(SETTING) or {}
    features = collection.get("features") or []
    if not features:
        return Markup("")
    return charts.geo_map(
        features, values, code_of=code_of, label_of=label_of, title=title, href=href
    )
