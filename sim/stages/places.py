"""School places: capacity, utilisation and consolidation/shortage flags by level and division.

Modelled on England's school capacity survey (SCAP): each planning area (here a division and
level) reports its places and forecast pupils, and the places it needs are those that keep
surplus places about 5 % above pupils, so that parents keep some choice and in-year movers
find a seat. A division whose schools are far below capacity is a candidate for
consolidation (合并, closing or merging small schools); one above capacity has a shortage.

Every function is pure numpy: arrays carry any leading axes (``...``: divisions, levels,
draws) and years last (T), so the same code serves one division or a whole Monte Carlo run.

>>> import numpy as np
>>> pupils = np.array([[900.0, 1000.0, 1100.0], [300.0, 250.0, 200.0]])  # 2 divisions × 3 years
>>> places = places_path(base_places(pupils[:, 0], 0.9), np.array([[0.0, 0.0, 50.0], [0, 0, -100]]))
>>> places.round(1).tolist()
[[1000.0, 1000.0, 1050.0], [333.3, 333.3, 233.3]]
>>> places_needed(pupils, places).round(1).tolist()
[[0.0, 50.0, 105.0], [0.0, 0.0, 0.0]]
>>> consolidate, short = flags(utilisation(pupils, places), floor=0.8)
>>> consolidate.tolist(), short.tolist()
([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
>>> first_year_flagged(short, np.array([2024, 2025, 2026])).tolist()
[2026.0, nan]
"""

from __future__ import annotations

import numpy as np

# utilisation above 150 % is not a crowded school but a data error (pupils and places mixed up)
MAX_UTILISATION = 1.5
# cumulative sums of floats that close every place can end a few ulps below zero
_REL_TOL = 1e-9


def base_places(pupils0: np.ndarray, utilisation: float | np.ndarray) -> np.ndarray:
    """Places in the base year when only pupils and a utilisation rate are known: pupils0 / utilisation.

    ``utilisation`` (scalar or broadcastable to ``pupils0``) must lie in (0, 1.5].
    """
    pupils0 = np.asarray(pupils0, dtype=float)
    util = np.asarray(utilisation, dtype=float)
    # written as "not inside" so that NaN is refused too
    bad = ~((util > 0) & (util <= MAX_UTILISATION))
    if bad.any():
        raise ValueError(
            f"utilisation must be in (0, {MAX_UTILISATION}] (pupils / places), got {util[bad].flat[0]!r}; "
            "give it as a share (0.9 for 90 %), not a percentage"
        )
    return pupils0 / util


def places_path(base: np.ndarray, added: np.ndarray) -> np.ndarray:
    """Places each year: ``base`` (...,) plus the cumulative sum of ``added`` (..., T).

    Places added in year t count from year t on; negative ``added`` closes places
    (consolidation). Raises ValueError if places would go below 0 anywhere.
    """
    base = np.asarray(base, dtype=float)
    added = np.asarray(added, dtype=float)
    if added.ndim == 0:
        raise ValueError("added must have years as its last axis (shape (..., T)), got a scalar")
    try:
        np.broadcast_shapes(base.shape, added.shape[:-1])
    except ValueError:
        raise ValueError(
            f"base has shape {base.shape} but added has shape {added.shape}: base must match added "
            "without its last (years) axis"
        ) from None
    path = base[..., None] + np.cumsum(added, axis=-1)
    # closing exactly the places there are should give 0, not -1e-13 and an error
    scale = np.abs(base)[..., None] + np.cumsum(np.abs(added), axis=-1)
    tiny = (path < 0) & (path >= -_REL_TOL * scale)
    path = np.where(tiny, 0.0, path)
    if (path < 0).any() or np.isnan(path).any():
        where = tuple(int(i) for i in np.argwhere(~(path >= 0))[0])
        raise ValueError(
            f"places would be {path[where]:g} at index {where[:-1]}, year position {where[-1]}: "
            "close fewer places (negative added) or close them later, or raise base"
        )
    return path


def utilisation(pupils: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Pupils / places; NaN where there are no places (neither 0 nor inf means anything there)."""
    pupils = np.asarray(pupils, dtype=float)
    places = np.asarray(places, dtype=float)
    shape = np.broadcast_shapes(pupils.shape, places.shape)
    out = np.full(shape, np.nan)
    np.divide(pupils, places, out=out, where=places != 0)
    return out


def places_needed(pupils: np.ndarray, places: np.ndarray, margin: float = 0.05) -> np.ndarray:
    """Places to build so that places ≥ pupils × (1 + margin): max(0, pupils × (1 + margin) − places).

    Fractional, not rounded up: the result feeds sums and costs across divisions, where
    rounding each one would bias the total upward.
    """
    _check_margin(margin)
    pupils = np.asarray(pupils, dtype=float)
    places = np.asarray(places, dtype=float)
    return np.maximum(0.0, pupils * (1.0 + margin) - places)


def surplus_places(pupils: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Places − pupils, unclipped: negative is a shortage."""
    return np.asarray(places, dtype=float) - np.asarray(pupils, dtype=float)


def flags(util: np.ndarray, floor: float, ceiling: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(consolidation, shortage) as float 0/1: util < floor, util > ceiling.

    Float, not bool, so that a mean over draws is the share of draws flagged. NaN
    utilisation (no places) raises neither flag: there is nothing to close and no
    capacity figure to be short against.
    """
    if not (np.isfinite(floor) and 0 <= floor):
        raise ValueError(f"floor must be a utilisation share ≥ 0 (e.g. 0.6 for 60 %), got {floor!r}")
    if not (ceiling >= floor):  # also refuses a NaN ceiling
        raise ValueError(
            f"floor ({floor!r}) must not exceed ceiling ({ceiling!r}): a division cannot be both "
            "under-used and over-full"
        )
    util = np.asarray(util, dtype=float)
    # comparisons with NaN are False, which is exactly the 0 wanted
    return (util < floor).astype(float), (util > ceiling).astype(float)


def first_year_flagged(flag: np.ndarray, years: np.ndarray) -> np.ndarray:
    """The first year in which ``flag`` (..., T) is 1, NaN where it never is.

    ``flag`` must hold only 0 and 1: a share of draws flagged should be thresholded first.
    """
    flag = np.asarray(flag, dtype=float)
    years = np.asarray(years)
    if flag.ndim == 0 or years.shape != flag.shape[-1:]:
        raise ValueError(
            f"years has shape {years.shape} but flag has shape {flag.shape}: years must be 1-D "
            "with one entry per year on flag's last axis"
        )
    if not np.isin(flag, (0.0, 1.0)).all():
        raise ValueError(
            "flag must hold only 0 and 1; for a share of draws flagged, threshold it first "
            "(e.g. share >= 0.5)"
        )
    on = flag == 1
    out = np.full(flag.shape[:-1], np.nan)
    if flag.shape[-1] == 0:  # argmax has nothing to search
        return out
    first = np.argmax(on, axis=-1)  # index of the first True; 0 when there is none
    ever = on.any(axis=-1)
    out[ever] = years.astype(float)[first[ever]]
    return out


def _check_margin(margin: float) -> None:
    if not (np.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be a share ≥ 0 (0.05 keeps places 5 % above pupils), got {margin!r}")


# ====================================================================== the stage
PLACE_LEVELS = ("preschool", "primary", "junior", "senior_general", "secondary_vocational")
# places the money stage's projects add (Capacity|Added|…, places in use from the opening year);
# "Vocational places" are training stations (实训位), not school places
_PROJECT_PLACES = {
    "preschool": "Capacity|Added|Kindergarten places",
    "primary": "Capacity|Added|School places|Primary",
    "junior": "Capacity|Added|School places|Junior",
    "senior_general": "Capacity|Added|School places|Senior general",
    "secondary_vocational": "Capacity|Added|School places|Secondary vocational",
}


def places_stage(cfg, ctx) -> dict[str, np.ndarray]:
    """``regions.places`` → places, utilisation, places needed and the flags by level, per division.

    Base-year places = pupils ÷ the stated utilisation (no division's places are published); then
    the places ``regions.places.added`` builds or closes in a division (from the year given) and
    those the money stage's projects open (kindergarten places, school places by level), which
    cost money there. A flag counts divisions: 1 in a division whose level is below ``floor`` (a
    consolidation candidate) or above ``ceiling`` (places short); the city's value is how many
    divisions are flagged.
    """
    from ..core.context import StudentFlows
    from ..core.errors import ModelError
    from ..core.levels import LABEL

    p = cfg.places
    flows = ctx.need(StudentFlows)
    years = np.asarray(ctx.years)
    rows, T = ctx.draws, len(years)
    names = ctx.regions.names if ctx.regions is not None else None
    out: dict[str, np.ndarray] = {}
    for lv in PLACE_LEVELS:
        pupils = flows.enrolment(lv)
        pupils = np.broadcast_to(pupils, (rows, T))
        added = np.zeros((rows, T))
        if names is not None:
            per_division = np.zeros((len(names), T))
            for name, levels in p.added.items():
                for year, n in levels.get(lv, {}).items():
                    if years[0] <= year <= years[-1]:
                        per_division[names.index(name), int(year - years[0])] += n
            added = np.tile(per_division, (rows // len(names), 1))
        base = base_places(pupils[:, 0], p.utilisation[lv])
        low = base[:, None] + np.cumsum(added, axis=1)
        if names is not None and (low < -1e-9 * np.maximum(base[:, None], 1.0)).any():
            r, t = (int(i[0]) for i in np.nonzero(low < -1e-9 * np.maximum(base[:, None], 1.0)))
            raise ModelError(
                f"regions.places.added closes more {lv} places in {names[r % len(names)]} than it has "
                f"by {int(years[t])} ({base[r]:,.0f} in {int(years[0])}, {low[r, t]:,.0f} left)",
                hint="close no more places than a division has (its base-year places are its pupils ÷ "
                "regions.places.utilisation)",
            )
        places = places_path(base, added)
        if lv in _PROJECT_PLACES and _PROJECT_PLACES[lv] in ctx.results:
            places = places + ctx.results[_PROJECT_PLACES[lv]]
        L = LABEL[lv]
        util = ctx.ratio(f"Places|Utilisation|{L}", pupils, places)
        consolidate, short = flags(util, p.floor, p.ceiling)
        out[f"Places|{L}"] = places
        out[f"Places|Utilisation|{L}"] = util
        out[f"Places|Needed|{L}"] = places_needed(pupils, places, p.margin)
        out[f"Places|Surplus|{L}"] = surplus_places(pupils, places)
        out[f"Places|Consolidation candidates|{L}"] = consolidate
        out[f"Places|Short|{L}"] = short
    return out
