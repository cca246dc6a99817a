"""A server-rendered SVG map of municipalities, each coloured by the share of a pathway's steps it has covered.

The boundaries are the simplified 2024 municipalities in `app/reference/kommuner_2024_simplified.geojson`
(© Kartverket, CC BY 4.0). They are projected once, on first use, to UTM zone 33N (ETRS89, EPSG:25833, the
Norwegian standard for whole-country maps), rounded to a grid of `UNIT_M` metres and kept as SVG path data.
A map then only picks the paths of the municipalities it shows, fits the view to them and colours them.

In the SVG, x = (easting - ORIGIN_E) / UNIT_M and y = (ORIGIN_N - northing) / UNIT_M: north is up.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from gettext import gettext as _
from gettext import ngettext
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from markupsafe import Markup, escape
from pyproj import Transformer

GEOJSON_PATH = Path(__file__).resolve().parent.parent / "reference" / "kommuner_2024_simplified.geojson"

#: The grid the projected coordinates are rounded to, in metres: fine enough for a region on a page, coarse
#: enough that a coordinate is at most five digits.
UNIT_M = 100
#: The SVG origin in UTM 33N metres (west of Solund and north of Nordkapp), so that every x and y is positive.
ORIGIN_E = -100_000
ORIGIN_N = 8_000_000

ATTRIBUTION = _("Kart: © Kartverket, CC BY 4.0 (forenklet av robhop/fylker-og-kommuner), UTM sone 33")


@dataclass(frozen=True)
class MapArea:
    """One municipality on the map."""

    number: str  # 4-digit municipality number
    label: str  # the <title> text, e.g. "Bodø: 3 av 4 steg dekket (75 %)"
    href: str  # link target of the area
    share: float | None  # 0.0–1.0 share of steps covered; None = no data


class Bucket(NamedTuple):
    label: str  # bokmål, e.g. "25–49 %"
    css_class: str  # "rk-bucket-N", N the index in BUCKETS
    colour: str  # the fill, "#rrggbb"; the "ingen data" bucket is drawn hatched on this colour


# ColorBrewer YlGnBu (colour-blind safe, sequential, prints in grey): light = little covered, dark = all.
# "Ingen data" is hatched grey, so it is not read as a share.
BUCKETS: list[Bucket] = [
    Bucket(_("0 %"), "rk-bucket-0", "#edf8b1"),
    Bucket(_("1–24 %"), "rk-bucket-1", "#c7e9b4"),
    Bucket(_("25–49 %"), "rk-bucket-2", "#7fcdbb"),
    Bucket(_("50–74 %"), "rk-bucket-3", "#41b6c4"),
    Bucket(_("75–99 %"), "rk-bucket-4", "#225ea8"),
    Bucket(_("100 %"), "rk-bucket-5", "#081d58"),
    Bucket(_("ingen data"), "rk-bucket-6", "#f0f0f0"),
]
NO_DATA = len(BUCKETS) - 1
_HATCH_COLOUR = "#737373"
_STROKE_COLOUR = "#ffffff"


def share_percent(share: float) -> int:
    """The whole percent a share falls in, rounded down (0.999 is 99 %, not 100 %), as `share_bucket` reads it.
    A label that shows a percentage should use this, so that its number and its colour agree."""
    if math.isnan(share) or not 0.0 <= share <= 1.0:
        raise ValueError(f"a share is between 0 and 1, not {share!r}")
    # The tolerance keeps 0.29 * 100 == 28.999999999999996 at 29 %.
    return math.floor(share * 100 + 1e-9)


def share_bucket(share: float | None) -> int:
    """The index into BUCKETS of a share: 0 % only when nothing is covered, 100 % only when everything is,
    otherwise by the whole percent (`share_percent`), and "ingen data" for None."""
    if share is None:
        return NO_DATA
    percent = share_percent(share)
    if share == 0.0:
        return 0
    if share >= 1.0:
        return 5
    if percent < 25:
        return 1
    if percent < 50:
        return 2
    if percent < 75:
        return 3
    return 4


# -- geometry ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    d: str  # SVG path data, all rings, for fill-rule="evenodd"
    box: tuple[int, int, int, int]  # min x, min y, max x, max y in SVG units


def _numbers(values: Sequence[int]) -> str:
    """Integers as compact SVG path data: a minus sign is its own separator."""
    out = [str(values[0])]
    for value in values[1:]:
        out.append(str(value) if value < 0 else f" {value}")
    return "".join(out)


def _ring_path(ring: Sequence[tuple[int, int]]) -> str:
    """One closed ring as an absolute move and relative lines (small numbers), closed with z."""
    (x0, y0), deltas = ring[0], []
    for (ax, ay), (bx, by) in pairwise(ring):
        deltas += [bx - ax, by - ay]
    return f"M{x0} {y0}l{_numbers(deltas)}z"


def _project_ring(transformer: Transformer, ring: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """A GeoJSON ring (lon/lat) on the SVG grid, without repeated points and without the closing point."""
    eastings, northings = transformer.transform([p[0] for p in ring], [p[1] for p in ring])
    points: list[tuple[int, int]] = []
    for easting, northing in zip(eastings, northings, strict=True):
        point = (round((easting - ORIGIN_E) / UNIT_M), round((ORIGIN_N - northing) / UNIT_M))
        if not points or point != points[-1]:
            points.append(point)
    while len(points) > 1 and points[-1] == points[0]:
        points.pop()
    return points


def _shape(transformer: Transformer, geometry: Mapping[str, Any]) -> _Shape | None:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    rings = [_project_ring(transformer, ring) for polygon in polygons for ring in polygon]
    rings = [ring for ring in rings if len(ring) >= 3]
    if not rings:
        return None
    xs = [x for ring in rings for x, _y in ring]
    ys = [y for ring in rings for _x, y in ring]
    return _Shape("".join(_ring_path(ring) for ring in rings), (min(xs), min(ys), max(xs), max(ys)))


@cache
def _load_shapes() -> Mapping[str, _Shape]:
    """Every municipality's path, from the GeoJSON, read and projected once per process."""
    with GEOJSON_PATH.open(encoding="utf-8") as file:
        features = json.load(file)["features"]
    transformer = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)
    shapes: dict[str, _Shape] = {}
    for feature in features:
        shape = _shape(transformer, feature["geometry"])
        if shape is not None:
            shapes[str(feature["properties"]["kommunenummer"])] = shape
    return MappingProxyType(shapes)


_LOAD_LOCK = threading.Lock()


def _shapes() -> Mapping[str, _Shape]:
    # The lock makes the first requests that arrive together build the cache once, not once each.
    with _LOAD_LOCK:
        return _load_shapes()


def municipality_paths() -> Mapping[str, str]:
    """Municipality number → SVG path data on the map grid (see the module doc). Builds the cache on first use,
    so a caller may also use it to warm the cache at start-up."""
    return MappingProxyType({number: shape.d for number, shape in _shapes().items()})


# -- rendering --------------------------------------------------------------------------------------------------

_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _count_text(count: int) -> str:
    return ngettext("%(n)d kommune", "%(n)d kommuner", count) % {"n": count}


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 100 else str(round(value))


def _view(boxes: Iterable[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The viewBox (x, y, width, height) around the boxes, with a margin of 2 % of the longer side."""
    boxes = list(boxes)
    if not boxes:
        return (0, 0, 1, 1)
    min_x = min(b[0] for b in boxes)
    min_y = min(b[1] for b in boxes)
    max_x = max(b[2] for b in boxes)
    max_y = max(b[3] for b in boxes)
    margin = max(2, round(max(max_x - min_x, max_y - min_y) * 0.02))
    return (min_x - margin, min_y - margin, max_x - min_x + 2 * margin, max_y - min_y + 2 * margin)


def _hatch(pattern_id: str, size: float) -> str:
    s = _fmt(size)
    return (
        f'<pattern id="{pattern_id}" width="{s}" height="{s}" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="{s}" height="{s}" fill="{BUCKETS[NO_DATA].colour}"/>'
        f'<line x1="0" y1="0" x2="0" y2="{s}" stroke="{_HATCH_COLOUR}" stroke-width="{_fmt(size / 3)}"/></pattern>'
    )


def render_map(areas: list[MapArea], *, caption: str, id_prefix: str = "coverage-map") -> Markup:
    """A `<figure>` with the map of the given municipalities, a legend and a caption with the attribution.

    Each municipality is a link (`<a href>`) named by its label, filled by its share's bucket (a `fill`
    attribute, so the SVG draws without the stylesheet, and the bucket's CSS class). The view fits the areas.
    Areas whose number has no boundary are left out, as are repeats of a number (the first one is drawn); the
    legend counts what is drawn. `id_prefix` makes the ids in the markup unique when a page has two maps.
    """
    if not _ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier, not {id_prefix!r}")
    shapes = _shapes()
    drawn: dict[str, tuple[MapArea, _Shape, int]] = {}
    for area in areas:
        shape = shapes.get(area.number)
        if shape is not None and area.number not in drawn:
            drawn[area.number] = (area, shape, share_bucket(area.share))
    counts = [0] * len(BUCKETS)
    for drawn_area in drawn.values():
        counts[drawn_area[2]] += 1

    x, y, width, height = _view(shape.box for _area, shape, _bucket in drawn.values())
    longer = max(width, height)
    title_id, desc_id, hatch_id = f"{id_prefix}-title", f"{id_prefix}-desc", f"{id_prefix}-nodata"
    summary = "; ".join(f"{bucket.label}: {_count_text(count)}" for bucket, count in zip(BUCKETS, counts, strict=True))
    description = (
        _("Kart over %(count)s. Fargen viser hvor stor andel av forløpets steg som er dekket i kommunen.")
        % {"count": _count_text(len(drawn))}
        + " "
        + summary
        + "."
    )

    def fill(bucket: int) -> str:
        return f"url(#{hatch_id})" if bucket == NO_DATA else BUCKETS[bucket].colour

    parts = [
        '<figure class="rk-coverage-map">',
        # role="group", not "img": an img's children are presentational, and these are links (axe: nested-interactive).
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rk-coverage-map-svg" role="group" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}" viewBox="{x} {y} {width} {height}" '
        f'preserveAspectRatio="xMidYMid meet" width="100%">',
        f'<title id="{title_id}">{escape(caption)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
        f"<defs>{_hatch(hatch_id, longer / 150)}</defs>",
        # About one pixel wide when the longer side is drawn 800 pixels long.
        f'<g fill-rule="evenodd" stroke="{_STROKE_COLOUR}" stroke-width="{_fmt(longer / 800)}" '
        'stroke-linejoin="round">',
    ]
    for area, shape, bucket in drawn.values():
        parts.append(
            f'<a href="{escape(area.href)}"><title>{escape(area.label)}</title>'
            f'<path class="{BUCKETS[bucket].css_class}" fill="{fill(bucket)}" d="{shape.d}"/></a>'
        )
    parts += ["</g>", "</svg>"]

    legend_id = f"{id_prefix}-legend"
    parts.append(f'<div class="rk-coverage-legend"><p id="{legend_id}">{escape(_("Andel av stegene dekket"))}</p>')
    parts.append(f'<ul aria-labelledby="{legend_id}">')
    swatch_hatch_id = f"{id_prefix}-nodata-swatch"
    for index, (bucket_, count) in enumerate(zip(BUCKETS, counts, strict=True)):
        swatch_fill = f"url(#{swatch_hatch_id})" if index == NO_DATA else bucket_.colour
        defs = f"<defs>{_hatch(swatch_hatch_id, 4)}</defs>" if index == NO_DATA else ""
        parts.append(
            '<li><svg xmlns="http://www.w3.org/2000/svg" class="rk-coverage-swatch" viewBox="0 0 16 16" width="16" '
            f'height="16" aria-hidden="true">{defs}<rect class="{bucket_.css_class}" x="0.5" y="0.5" width="15" '
            f'height="15" fill="{swatch_fill}" stroke="{_HATCH_COLOUR}"/></svg> '
            f"{escape(bucket_.label)}: {escape(_count_text(count))}</li>"
        )
    parts += ["</ul>", "</div>"]
    parts.append(
        f'<figcaption>{escape(caption)} <small class="rk-coverage-source">{escape(ATTRIBUTION)}</small></figcaption>'
    )
    parts.append("</figure>")
    return Markup("".join(parts))  # noqa: S704 (every text and attribute above is escaped or built from numbers)
