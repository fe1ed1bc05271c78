"""Charts as SVG drawn on the server: no JavaScript library, no CDN, nothing to download.

Every bar, point and cell is a link to the cases behind it (``href``), has a ``<title>`` with its
label and value (what a screen reader and a hover show), and every chart has the same figures as
an HTML table under it (the templates draw that). Colours are from one palette with enough
contrast on white; the late/overdue colours are never the only cue (the tables say it in words).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

PALETTE = ("#1f5fa8", "#d97706", "#15803d", "#b91c1c", "#6d28d9", "#0f766e", "#a16207")
HEAT = ("#f1f5f9", "#dbeafe", "#93c5fd", "#3b82f6", "#1d4ed8", "#1e3a8a")


@dataclass
class Bar:
    label: str
    value: float
    href: str | None = None
    color: str | None = None


def _svg(parts: list[str]) -> Markup:
    # every text and attribute put into the parts went through ``escape``
    return Markup("".join(parts))  # noqa: S704


def _link(href: str | None, body: str) -> str:
    if not href:
        return body
    return f'<a href="{escape(href)}">{body}</a>'


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"


def bars(items: Sequence[Bar], *, title: str, width: int = 560) -> Markup:
    """Horizontal bars, one per item, largest scale = the largest value."""
    row, label_w, pad = 22, 190, 6
    height = max(1, len(items)) * row + pad * 2
    top = max((i.value for i in items), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for n, item in enumerate(items):
        y = pad + n * row
        w = (width - label_w - 60) * item.value / top
        color = item.color or PALETTE[0]
        label = escape(item.label if len(item.label) <= 28 else item.label[:27] + "…")
        body = (
            f"<g><title>{escape(item.label)}: {_fmt(item.value)}</title>"
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{label}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 6}" '
            f'fill="{color}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" font-size="12">{_fmt(item.value)}</text></g>'
        )
        parts.append(_link(item.href, body))
    parts.append("</svg>")
    return _svg(parts)


def columns(items: Sequence[Bar], *, title: str, width: int = 640, height: int = 200) -> Markup:
    """Vertical columns over time (weeks, months), labels under every few columns."""
    bottom, left = 28, 36
    n = max(1, len(items))
    step = (width - left - 8) / n
    top = max((i.value for i in items), default=0) or 1
    scale = (height - bottom - 10) / top
    every = max(1, math.ceil(n / 10))
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" '
        'stroke="#64748b"/>',
        f'<text x="{left - 4}" y="14" text-anchor="end" font-size="11">{_fmt(top)}</text>',
    ]
    for k, item in enumerate(items):
        h = item.value * scale
        x = left + k * step
        body = (
            f"<g><title>{escape(item.label)}: {_fmt(item.value)}</title>"
            f'<rect x="{x + 1:.1f}" y="{height - bottom - h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{max(h, 0.5):.1f}" fill="{item.color or PALETTE[0]}"/></g>'
        )
        parts.append(_link(item.href, body))
        if k % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                f'font-size="10">{escape(item.label)}</text>'
            )
    parts.append("</svg>")
    return _svg(parts)


def _heat(value: float, top: float) -> str:
    if value <= 0:
        return HEAT[0]
    return HEAT[min(len(HEAT) - 1, 1 + int((len(HEAT) - 2) * value / (top or 1) + 0.5))]


def heatmap(
    rows: Sequence[tuple[str, str]],
    cols: Sequence[tuple[str, str]],
    cells: dict[tuple[str, str], int],
    *,
    title: str,
    href: Any = None,
) -> Markup:
    """Rows × columns of counts (district × topic); ``rows``/``cols`` are (code, label)."""
    cell, label_w, head_h = 34, 170, 110
    width = label_w + cell * max(1, len(cols)) + 4
    height = head_h + cell * max(1, len(rows)) + 4
    top = max(cells.values(), default=0)
    parts = [
        f'<svg class="chart heatmap" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for j, (_code, label) in enumerate(cols):
        x = label_w + j * cell + cell / 2
        parts.append(
            f'<text transform="translate({x:.1f},{head_h - 6}) rotate(-55)" font-size="11">'
            f"{escape(label[:22])}</text>"
        )
    for i, (rcode, rlabel) in enumerate(rows):
        y = head_h + i * cell
        parts.append(
            f'<text x="{label_w - 6}" y="{y + cell / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="12">{escape(rlabel[:26])}</text>'
        )
        for j, (ccode, clabel) in enumerate(cols):
            value = cells.get((rcode, ccode), 0)
            x = label_w + j * cell
            fill = _heat(value, top)
            ink = "#fff" if fill in HEAT[3:] else "#0f172a"
            body = (
                f"<g><title>{escape(rlabel)} · {escape(clabel)}: {value}</title>"
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}"/>'
                f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" '
                f'font-size="11" fill="{ink}">{value or ""}</text></g>'
            )
            parts.append(_link(href(rcode, ccode) if href and value else None, body))
    parts.append("</svg>")
    return _svg(parts)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return list(coords)
    if kind == "MultiPolygon":
        return [ring for poly in coords for ring in poly]
    return []


def geo_map(
    features: Sequence[dict[str, Any]],
    values: dict[str, int],
    *,
    code_of: Any,
    label_of: Any,
    title: str,
    href: Any = None,
    width: int = 560,
) -> Markup:
    """The districts' polygons (the office's GeoJSON), shaded by count; no tiles, no internet.

    An equirectangular projection scaled by the cosine of the middle latitude is exact enough
    for a city or a region."""
    rings = [(f, ring) for f in features for ring in _rings(f.get("geometry") or {})]
    points = [p for _f, ring in rings for p in ring]
    if not points:
        return Markup("")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    kx = math.cos(math.radians((min(ys) + max(ys)) / 2))
    span_x = (max(xs) - min(xs)) * kx or 1
    span_y = max(ys) - min(ys) or 1
    scale = (width - 8) / span_x
    height = int(span_y * scale) + 8
    top = max(values.values(), default=0)

    def project(p: Sequence[float]) -> str:
        return f"{4 + (p[0] - min(xs)) * kx * scale:.1f},{4 + (max(ys) - p[1]) * scale:.1f}"

    parts = [
        f'<svg class="chart geo" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for feature in features:
        code = code_of(feature)
        value = values.get(code, 0)
        paths = "".join(
            f'<polygon points="{" ".join(project(p) for p in ring)}"/>'
            for ring in _rings(feature.get("geometry") or {})
        )
        body = (
            f"<g><title>{escape(label_of(code))}: {value}</title>"
            f'<g fill="{_heat(value, top)}" stroke="#334155" stroke-width="1">{paths}</g></g>'
        )
        parts.append(_link(href(code) if href and value else None, body))
    parts.append("</svg>")
    return _svg(parts)
