"""The coverage map (app/web/coverage_map.py): every municipality has a boundary, the projection puts it where it
is (UTM 33N, north up), and the rendered figure is well-formed, linked, counted and escaped. No database."""

import csv
import re
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest

from app.web.coverage_map import (
    BUCKETS,
    ORIGIN_E,
    ORIGIN_N,
    UNIT_M,
    MapArea,
    municipality_paths,
    render_map,
    share_bucket,
)

REFERENCE = Path(__file__).resolve().parents[2] / "app" / "reference"
SVG = "{http://www.w3.org/2000/svg}"


def _municipalities() -> dict[str, str]:
    with (REFERENCE / "municipalities.csv").open(encoding="utf-8", newline="") as file:
        return {row["kommunenummer"]: row["name"] for row in csv.DictReader(file)}


def _rings(d: str) -> list[list[tuple[int, int]]]:
    """The rings of a path as written by the renderer: an absolute move, relative lines, z."""
    rings = []
    for ring in re.finditer(r"M(-?\d+) (-?\d+)l([-\d ]*)z", d):
        x, y = int(ring[1]), int(ring[2])
        points = [(x, y)]
        deltas = [int(n) for n in re.findall(r"-?\d+", ring[3])]
        for dx, dy in zip(deltas[::2], deltas[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        rings.append(points)
    return rings


def _centroid_m(number: str) -> tuple[float, float]:
    """The area centroid of a municipality in UTM 33N metres (easting, northing), from its SVG path."""
    area = cx = cy = 0.0
    for ring in _rings(municipality_paths()[number]):
        for (x0, y0), (x1, y1) in pairwise([*ring, ring[0]]):
            cross = x0 * y1 - x1 * y0
            area += cross / 2
            cx += (x0 + x1) * cross / 6
            cy += (y0 + y1) * cross / 6
    x, y = cx / area, cy / area
    return ORIGIN_E + x * UNIT_M, ORIGIN_N - y * UNIT_M


def _area(number: str, share: float | None, label: str | None = None) -> MapArea:
    return MapArea(number, label or f"Kommune {number}", f"/municipalities/{number}/coverage?template=7&x=1", share)


def test_every_municipality_has_a_path() -> None:
    paths = municipality_paths()
    numbers = _municipalities()
    assert len(numbers) == 357
    assert set(numbers) <= set(paths)
    for number in numbers:
        rings = _rings(paths[number])
        assert rings, number
        assert paths[number] == "".join(re.findall(r"M-?\d+ -?\d+l[-\d ]*z", paths[number]))
        for ring in rings:
            assert len(ring) >= 3
            assert all(a != b for a, b in pairwise(ring)), "no repeated points after rounding"


def test_projection_is_utm33_with_north_up() -> None:
    easting, northing = _centroid_m("0301")  # Oslo
    assert 260_000 < easting < 266_000
    assert 6_645_000 < northing < 6_665_000
    bergen_e, _ = _centroid_m("4601")
    assert bergen_e < 0 < easting  # Bergen is more than 500 km west of zone 33's central meridian (15° E)
    for far_east in ("5634", "5605"):  # Vardø, Sør-Varanger (Kirkenes)
        assert _centroid_m(far_east)[0] > 1_000_000 > easting > bergen_e
    tromso_n = _centroid_m("5501")[1]
    assert tromso_n > northing
    # In the SVG, y grows downward: Tromsø is drawn above Oslo.
    tromso_y = min(y for ring in _rings(municipality_paths()["5501"]) for _x, y in ring)
    oslo_y = min(y for ring in _rings(municipality_paths()["0301"]) for _x, y in ring)
    assert tromso_y < oslo_y


@pytest.mark.parametrize(
    ("share", "label"),
    [
        (0.0, "0 %"),
        (0.001, "1–24 %"),
        (0.24, "1–24 %"),
        (0.25, "25–49 %"),
        (0.29, "25–49 %"),
        (0.5, "50–74 %"),
        (0.749, "50–74 %"),
        (0.75, "75–99 %"),
        (0.999, "75–99 %"),
        (1.0, "100 %"),
        (None, "ingen data"),
    ],
)
def test_share_bucket_edges(share: float | None, label: str) -> None:
    assert BUCKETS[share_bucket(share)].label == label


@pytest.mark.parametrize("share", [-0.1, 1.01, float("nan")])
def test_share_bucket_refuses_a_share_outside_0_to_1(share: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        share_bucket(share)


def test_buckets_have_distinct_classes_and_colours() -> None:
    assert [b.css_class for b in BUCKETS] == [f"rk-bucket-{i}" for i in range(len(BUCKETS))]
    assert len({b.colour for b in BUCKETS}) == len(BUCKETS)
    label, css_class, colour = BUCKETS[-1]
    assert (label, css_class) == ("ingen data", "rk-bucket-6")
    assert re.fullmatch(r"#[0-9a-f]{6}", colour)


def _figure(areas: list[MapArea], caption: str = "Dekning i Helse Nord") -> ET.Element:
    return ET.fromstring(str(render_map(areas, caption=caption)))  # noqa: S314 (our own markup)


def test_the_map_links_and_colours_every_area() -> None:
    names = _municipalities()
    numbers = [n for n in names if n[:2] in {"18", "55", "56"}]
    assert len(numbers) == 80  # Helse Nord
    shares: list[float | None] = [None, 0.0, 0.1, 0.3, 0.6, 0.8, 1.0]
    areas = [_area(n, shares[i % len(shares)], f"{names[n]}: dekning") for i, n in enumerate(numbers)]
    figure = _figure(areas)

    assert figure.tag == "figure"
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    assert svg.get("preserveAspectRatio") == "xMidYMid meet"
    assert svg.get("width") == "100%"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Dekning i Helse Nord"
    assert desc is not None
    assert desc.text
    assert "80 kommuner" in desc.text
    assert svg.get("aria-labelledby") == title.get("id")
    assert svg.get("aria-describedby") == desc.get("id")

    links = svg.findall(f".//{SVG}a")
    assert len(links) == len(areas)
    for link, area in zip(links, areas, strict=True):
        assert link.get("href") == area.href
        link_title = link.find(f"{SVG}title")
        assert link_title is not None
        assert link_title.text == area.label
        path = link.find(f"{SVG}path")
        assert path is not None
        bucket = BUCKETS[share_bucket(area.share)]
        assert path.get("class") == bucket.css_class
        assert path.get("d") == municipality_paths()[area.number]
        fill = path.get("fill") or ""
        if area.share is None:
            assert fill.startswith("url(#"), "no data is hatched"
        else:
            assert fill == bucket.colour

    # The view fits Helse Nord: its bottom edge is north of (above) Oslo.
    _left, top, width, height = (int(v) for v in (svg.get("viewBox") or "").split())
    oslo_top = min(y for ring in _rings(municipality_paths()["0301"]) for _x, y in ring)
    assert top + height < oslo_top
    assert width > 0
    assert height > 0


def test_the_legend_counts_every_area_once() -> None:
    areas = [
        _area("1804", 0.75),
        _area("5501", 1.0),
        _area("5605", None),
        _area("0301", 0.0),
        _area("4601", 0.76),
        _area("9999", 0.5),  # no such municipality: not drawn, not counted
        _area("1804", 0.0),  # a repeat: only the first is drawn
    ]
    figure = _figure(areas)
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    assert [a.get("href") for a in svg.iter(f"{SVG}a")] == [a.href for a in areas[:5]]
    items = ["".join(li.itertext()).strip() for li in figure.iter("li")]
    assert items == [
        "0 %: 1 kommune",
        "1–24 %: 0 kommuner",
        "25–49 %: 0 kommuner",
        "50–74 %: 0 kommuner",
        "75–99 %: 2 kommuner",
        "100 %: 1 kommune",
        "ingen data: 1 kommune",
    ]
    counts = [int(re.findall(r"(\d+) kommuner?$", item)[0]) for item in items]
    assert sum(counts) == 5
    assert "9999" not in str(render_map(areas, caption="x"))


def test_caption_and_attribution() -> None:
    figure = _figure([_area("0301", 0.5)], caption="Hjerneslag – dekning")
    caption = figure.find("figcaption")
    assert caption is not None
    text = "".join(caption.itertext())
    assert text.startswith("Hjerneslag – dekning")
    assert "Kart: © Kartverket, CC BY 4.0 (forenklet av robhop/fylker-og-kommuner), UTM sone 33" in text


def test_text_and_attributes_are_escaped() -> None:
    evil = '<script>alert("x")</script> & "Bodø"'
    area = MapArea("1804", evil, '/m/1804?a=1&b="2"><script>', 0.5)
    markup = str(render_map([area], caption=evil))
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    figure = ET.fromstring(markup)  # noqa: S314 (our own markup, still well-formed)
    link = figure.find(f".//{SVG}a")
    assert link is not None
    assert link.get("href") == area.href
    link_title = link.find(f"{SVG}title")
    assert link_title is not None
    assert link_title.text == evil
    caption = figure.find("figcaption")
    assert caption is not None
    assert (caption.text or "").startswith(evil)


def test_ids_follow_the_prefix() -> None:
    markup = str(render_map([_area("1804", None)], caption="x", id_prefix="map-2"))
    ids = re.findall(r'id="([^"]+)"', markup)
    assert ids
    assert all(i.startswith("map-2-") for i in ids)
    assert len(ids) == len(set(ids))
    with pytest.raises(ValueError, match="id_prefix"):
        render_map([], caption="x", id_prefix='a" onload="x')


def test_an_empty_map_still_renders() -> None:
    figure = _figure([_area("9999", 0.5)])
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    assert svg.findall(f".//{SVG}a") == []
    assert all(text.endswith(": 0 kommuner") for text in ("".join(li.itertext()) for li in figure.iter("li")))
