"""Teacher redeployment between divisions: the fewest moves (or the least cost) that bring every
division's pupil:teacher ratio into its band (issue #14), as a transportation problem for
``scipy.optimize.linprog`` (HiGHS).

Pure: arrays in, an :class:`Allocation` out. Divisions are the rows ``r`` (counties, districts),
school levels the columns ``l``; a teacher moves only within their level.

Formulation. One variable per route and level, ``x[i, j, l] >= 0`` teachers moved from division
``i`` to ``j`` (``i != j``; a route with an infinite cost is closed). With ``d[r, l] = in - out``
the net arrival, the teachers after the moves are ``teachers + d``, and the band
``low <= pupils / after <= high`` is, in whole teachers,

    ceil(pupils / high - teachers) <= d <= floor(pupils / low - teachers)

(both bounds rounded inwards, since ``d`` is an integer, so the ratio itself ends inside the band,
not just near it). Hard limits: a division sends no more teachers of a level than it has
(``out <= floor(teachers)``), and no more in all than its annual ``cap``. The band rows get slack
variables (shortfall, excess), and three LPs are solved in turn, each keeping the optimum of the
one before: (1) the least total gap outside the bands, (2) the fewest moves or the least cost,
(3) when ``cost`` is given, the other of the two as a tie-break (cheapest among the fewest moves;
fewest among the cheapest, which also removes idle zero-cost round trips). A lexicographic
order, not a big-M penalty, so no weight has to be tuned against the costs. A chain through a
third division (A sends one to B, B one of its own to C) is two moves, chosen only when the costs
make it cheaper than A to C.

Integrality. Without a cap coupling the levels, the constraint matrix is the node-arc incidence
matrix of a network (rows repeated, unit slack columns and out-flow rows added, which a split of
each node into a sending and a receiving node makes a network again): totally unimodular, and
every right-hand side above is an integer, so HiGHS's simplex vertices are whole teachers; each
later phase only restricts to an optimal face, whose vertices are vertices of the first (a count
is held at its whole optimum exactly; a cost, held with a hair of slack, can leave flows a hair
from whole). So the LP solution is rounded, and kept if the rounded flows keep every constraint and
reach every phase's LP optimum (a lower bound on the integer one): then they are optimal. A cap
shared by several levels is a multi-commodity coupling that can have fractional vertices; if the
check fails, the three phases are solved again with ``scipy.optimize.milp`` (whole flows and
slacks), slower (tens of seconds for 200 divisions). ``Allocation.solver`` says which one answered.

Speed: with every route open, phase (1) runs on a pool per level (R·L flows) instead of the routes
(R²·L); 9 divisions × 7 levels take milliseconds, 200 × 7 (280 000 routes) one to four seconds.

Infeasibility is reported, not raised: when the teachers of a level are too few (or too many) in
total, the caps bind, a route is closed, or a band is so narrow that no whole number of teachers
fits it (10 pupils, band 4.5-4.9: 2.04 to 2.22 teachers), phase (1) leaves the least possible gap,
``gap_after`` says where (``+`` teachers above the band's allowed count, ``-`` short of its
minimum, 0 inside), and ``feasible`` is False.

No pupils: a level with 0 pupils in a division allows 0 teachers (``floor(0 / low) = 0``); its
teachers are excess, the optimiser sends them where they are short, and any left are reported.
This is the band's own limit as pupils fall to 0 (a ratio of 0 is below any band), not a special
case.

Teachers may be fractional (an expected stock); the moves are whole teachers all the same, and
the gap counts whole teachers to move, so a fractional stock can leave a gap of one teacher.

>>> import numpy as np
>>> pupils = np.array([[400.0], [400.0], [200.0]])  # three divisions, one level
>>> teachers = np.array([[30.0], [14.0], [7.0]])  # need 20-26, 20-26 and 10-13
>>> a = allocate(pupils, teachers, band_low=[15.0], band_high=[20.0])
>>> a.moves[:, :, 0].tolist()
[[0, 6, 3], [0, 0, 0], [0, 0, 0]]
>>> a.after[:, 0].tolist(), a.total_moved, a.feasible
([21.0, 20.0, 10.0], 9, True)
>>> a.table(["A", "B", "C"], ["primary"])
[('A', 'B', 'primary', 6), ('A', 'C', 'primary', 3)]
>>> capped = allocate(pupils, teachers, [15.0], [20.0], cap=[5, 0, 0])
>>> capped.total_moved, int(capped.gap_after.sum()), capped.feasible
(5, -4, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

OBJECTIVES = ("moves", "cost")
# float ratios such as 300 / 20 must not round up to 16 teachers: bounds are rounded with this slack
_EPS = 1e-9
# an LP optimum this near a whole number is that number (HiGHS's feasibility tolerance is 1e-7)
_INTEGRAL_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class Allocation:
    """The moves and what they leave. Arrays are read-only.

    ``moves`` (R, R, L): whole teachers moved from division i to j in level l (diagonal 0);
    ``after`` (R, L): teachers after the moves; ``gap_before`` / ``gap_after`` (R, L): whole
    teachers outside the band before / after the moves (+ above the allowed count, - short of the
    minimum, 0 inside); ``total_moved``: teachers moved; ``total_cost``: Σ cost × moves (= moves
    by default); ``feasible``: every division ends in its band; ``solver``: "linprog" or "milp".
    """

    moves: np.ndarray
    after: np.ndarray
    gap_before: np.ndarray
    gap_after: np.ndarray
    total_moved: int
    total_cost: float
    feasible: bool
    solver: str

    def table(
        self, names: Sequence[str] | None = None, levels: Sequence[str] | None = None
    ) -> list[tuple[str, str, str, int]]:
        """Rows (from, to, level, teachers) of the non-zero moves, by level, sender, then receiver."""
        R, _, L = self.moves.shape
        names = [str(i) for i in range(R)] if names is None else list(names)
        levels = [str(i) for i in range(L)] if levels is None else list(levels)
        if len(names) != R or len(levels) != L:
            raise ValueError(
                f"table needs {R} division names and {L} level names, got {len(names)} and {len(levels)}"
            )
        i, j, lv = np.nonzero(self.moves)
        order = np.lexsort((j, i, lv))
        return [(names[i[k]], names[j[k]], levels[lv[k]], int(self.moves[i[k], j[k], lv[k]])) for k in order]


def allocate(
    pupils: ArrayLike,
    teachers: ArrayLike,
    band_low: ArrayLike,
    band_high: ArrayLike,
    cost: ArrayLike | None = None,
    cap: ArrayLike | None = None,
    objective: Literal["moves", "cost"] = "moves",
) -> Allocation:
    """The fewest moves (``objective="moves"``) or the least cost (``"cost"``) that bring every
    division's pupils per teacher into ``[band_low, band_high]``, or as near as the teachers allow.

    ``pupils``, ``teachers``: (R, L). ``band_low``, ``band_high``: pupils per teacher, scalar, (L,)
    or (R, L). ``cost``: (R, R) cost of moving one teacher from i to j (diagonal ignored, ``inf``
    closes a route; default 1, so both objectives count moves). ``cap``: scalar or (R,), the most
    teachers a division may send in a year, all levels together (``inf``: no cap). See the module
    docstring for the formulation.
    """
    P, T = _stock(pupils, "pupils"), _stock(teachers, "teachers")
    if P.shape != T.shape:
        raise ValueError(f"pupils {P.shape} and teachers {T.shape} must have the same shape (R, L)")
    R, L = P.shape
    lo_band, hi_band = _band(band_low, "band_low", R, L), _band(band_high, "band_high", R, L)
    if np.any(lo_band > hi_band):
        r, l = np.argwhere(lo_band > hi_band)[0]
        raise ValueError(
            f"band_low must not exceed band_high (division {r}, level {l}: {lo_band[r, l]} > {hi_band[r, l]})"
        )
    C = _cost(cost, R)
    caps = _cap(cap, R)
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")

    # net arrivals allowed by the band, in whole teachers (rounded inwards; see the module docstring)
    d_lo = np.ceil(_shrink(P / hi_band - T, -1))
    d_hi = np.floor(_shrink(P / lo_band - T, +1))
    sendable = np.floor(T + _EPS)

    # routes: every ordered pair i != j with a finite cost, for every level
    ii, jj = np.nonzero(np.isfinite(C) & ~np.eye(R, dtype=bool))
    n_routes = ii.size
    I, J = np.tile(ii, L), np.tile(jj, L)
    lv = np.repeat(np.arange(L), n_routes)
    arc_cost = C[I, J]
    A = len(I)
    RL = R * L
    k = np.arange(A)
    # d = in - out for each cell r*L + l
    D = sp.csr_matrix(
        (np.r_[np.ones(A), -np.ones(A)], (np.r_[J * L + lv, I * L + lv], np.r_[k, k])), shape=(RL, A)
    )
    OUT = sp.csr_matrix((np.ones(A), (I * L + lv, k)), shape=(RL, A))
    capped = np.isfinite(caps)
    CAP = sp.csr_matrix((np.ones(A), (I, k)), shape=(R, A))[capped]
    eye, zero = sp.identity(RL, format="csr"), sp.csr_matrix((RL, RL))
    # columns: x (A), shortfall (RL), excess (RL)
    rows = sp.vstack(
        [
            sp.hstack([-D, -eye, zero]),  # d + shortfall >= d_lo
            sp.hstack([D, zero, -eye]),  # d - excess <= d_hi
            sp.hstack([OUT, sp.csr_matrix((RL, 2 * RL))]),
            sp.hstack([CAP, sp.csr_matrix((CAP.shape[0], 2 * RL))]),
        ],
        format="csr",
    )
    rhs = np.r_[-d_lo.ravel(), d_hi.ravel(), sendable.ravel(), np.floor(caps[capped] + _EPS)]
    n = A + 2 * RL
    gap_obj = np.r_[np.zeros(A), np.ones(2 * RL)]
    moves_obj = np.r_[np.ones(A), np.zeros(2 * RL)]
    cost_obj = np.r_[arc_cost, np.zeros(2 * RL)]
    objectives = [gap_obj, moves_obj if objective == "moves" else cost_obj]
    if cost is not None:
        objectives.append(cost_obj if objective == "moves" else moves_obj)

    # with every route open, the least gap needs no routes: a hub per level (R·L flows, not R²·L)
    # has the same optimum, since any hub flow splits into route flows with the same out-flows
    hub = n_routes == R * (R - 1)
    least = _hub_least_gap(d_lo, d_hi, sendable, caps, integral=False) if hub else None
    x, optima = _lexicographic(objectives, rows, rhs, n, integral=False, first=least)
    solver = "linprog"
    if not _whole_and_optimal(np.rint(x), objectives, optima, rows, rhs):
        least = _hub_least_gap(d_lo, d_hi, sendable, caps, integral=True) if hub else None
        x, _ = _lexicographic(objectives, rows, rhs, n, integral=True, first=least)
        solver = "milp"
    flow = np.rint(x[:A]).astype(np.int64)

    moves = np.zeros((R, R, L), dtype=np.int64)
    moves[I, J, lv] = flow
    net = moves.sum(axis=0) - moves.sum(axis=1)
    after = T + net
    gap_before = _gap(np.zeros_like(net), d_lo, d_hi)
    gap_after = _gap(net, d_lo, d_hi)
    for a in (moves, after, gap_before, gap_after):
        a.setflags(write=False)
    off = ~np.eye(R, dtype=bool)
    return Allocation(
        moves=moves,
        after=after,
        gap_before=gap_before,
        gap_after=gap_after,
        total_moved=int(flow.sum()),
        total_cost=float(np.sum(np.where(off & np.isfinite(C), C, 0.0)[:, :, None] * moves)),
        feasible=bool(np.all(gap_after == 0)),
        solver=solver,
    )


# ------------------------------------------------------------------------------------- solving
def _lexicographic(
    objectives: list[np.ndarray],
    rows: sp.csr_matrix,
    rhs: np.ndarray,
    n: int,
    integral: bool,
    first: float | None = None,
) -> tuple[np.ndarray, list[float]]:
    """Minimise each objective in turn, holding the earlier ones at their optimum (``first``: the
    first one's, if known); the last solution and every optimum."""
    x, optima = np.zeros(n), ([] if first is None else [first])
    for c in objectives[len(optima) :]:
        held = [_hold(v, h) for v, h in zip(optima, objectives, strict=False)]
        A = sp.vstack([rows, *(sp.csr_matrix(h) for h in objectives[: len(held)])], format="csr")
        x = _solve(c, A, np.r_[rhs, held], integral)
        optima.append(float(c @ x))
    return x, optima


def _hold(value: float, c: np.ndarray) -> float:
    """The bound that holds an optimum in the next phase. An objective with whole coefficients (gap,
    moves) is a whole number at every integer solution, so it is held at the next whole number,
    exactly: a slab around it would have fractional vertices. A cost gets a hair of slack, so HiGHS
    still finds the optimum it has just found feasible."""
    if np.array_equal(c, np.rint(c)):
        return float(np.ceil(value - _INTEGRAL_TOL))
    return value + 1e-9 * max(1.0, abs(value))


def _whole_and_optimal(
    xr: np.ndarray, objectives: list[np.ndarray], optima: list[float], rows: sp.csr_matrix, rhs: np.ndarray
) -> bool:
    """Whether the rounded LP solution keeps every constraint (whole coefficients and bounds: exactly)
    and reaches every LP optimum, which bound the integer ones from below: then it is optimal."""
    if np.any(rows @ xr > rhs + 1e-7):
        return False
    return all(c @ xr <= _hold(v, c) + 1e-9 for c, v in zip(objectives, optima, strict=True))


def _hub_least_gap(
    d_lo: np.ndarray, d_hi: np.ndarray, sendable: np.ndarray, caps: np.ndarray, integral: bool
) -> float:
    """The least total gap outside the bands, with teachers sent to and drawn from a pool per level."""
    R, L = d_lo.shape
    RL = R * L
    eye, zero = sp.identity(RL, format="csr"), sp.csr_matrix((RL, RL))
    capped = np.isfinite(caps)
    # columns: out, in, shortfall, excess, each (R, L) raveled
    per_division = sp.kron(sp.identity(R), np.ones((1, L)), format="csr")[capped]
    rows = sp.vstack(
        [
            sp.hstack([eye, -eye, -eye, zero]),  # in - out + shortfall >= d_lo
            sp.hstack([-eye, eye, zero, -eye]),  # in - out - excess <= d_hi
            sp.hstack([eye, zero, zero, zero]),
            sp.hstack([per_division, sp.csr_matrix((per_division.shape[0], 3 * RL))]),
        ],
        format="csr",
    )
    rhs = np.r_[-d_lo.ravel(), d_hi.ravel(), sendable.ravel(), np.floor(caps[capped] + _EPS)]
    per_level = sp.kron(np.ones((1, R)), sp.identity(L), format="csr")
    pool = sp.hstack([per_level, -per_level, sp.csr_matrix((L, 2 * RL))], format="csr")  # out = in
    c = np.r_[np.zeros(2 * RL), np.ones(2 * RL)]
    return float(c @ _solve(c, rows, rhs, integral, eq=pool))


def _solve(
    c: np.ndarray, A: sp.csr_matrix, b: np.ndarray, integral: bool, eq: sp.csr_matrix | None = None
) -> np.ndarray:
    """min c·x subject to A x <= b, eq x = 0, x >= 0 (and x whole if ``integral``)."""
    if integral:
        constraints = [LinearConstraint(A, -np.inf, b)]
        if eq is not None:
            constraints.append(LinearConstraint(eq, 0.0, 0.0))
        res = milp(
            c,
            constraints=constraints,
            integrality=np.ones_like(c),
            bounds=Bounds(0, np.inf),
            options={"mip_rel_gap": 0.0},  # the default 1e-4 would stop short of the fewest moves
        )
    else:
        b_eq = None if eq is None else np.zeros(eq.shape[0])
        res = linprog(c, A_ub=A, b_ub=b, A_eq=eq, b_eq=b_eq, bounds=(0, None), method="highs")
    # with every slack free the problem is always feasible and bounded below by 0: a failure is a bug
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"teacher allocation: HiGHS failed ({res.status}): {res.message}")
    return res.x


def _gap(net: np.ndarray, d_lo: np.ndarray, d_hi: np.ndarray) -> np.ndarray:
    """Whole teachers above the band (+) or short of it (-); a cell whose band holds no whole number
    of teachers is short if below its minimum, else in excess."""
    short = np.maximum(d_lo - net, 0)
    excess = np.maximum(net - d_hi, 0)
    return np.where(short > 0, -short, excess).astype(np.int64)


def _shrink(v: np.ndarray, direction: int) -> np.ndarray:
    """Nudge v by a relative hair towards ``direction`` so ceil/floor do not cross an exact integer."""
    return v + direction * _EPS * np.maximum(1.0, np.abs(v))


# ------------------------------------------------------------------------------------ checking
def _finite(a: np.ndarray, name: str) -> None:
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} contains NaN")
    if np.any(np.isinf(a)):
        raise ValueError(f"{name} must be finite")


def _stock(a: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(
            f"{name} must be a non-empty (R, L) array (divisions × levels), got shape {arr.shape}"
        )
    _finite(arr, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must not be negative")
    return arr


def _band(a: ArrayLike, name: str, R: int, L: int) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.shape not in ((), (L,), (R, L)):
        raise ValueError(f"{name} must be a scalar, ({L},) or ({R}, {L}), got shape {arr.shape}")
    _finite(arr, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive (pupils per teacher)")
    return np.broadcast_to(arr, (R, L))


def _cost(a: ArrayLike | None, R: int) -> np.ndarray:
    if a is None:
        return np.ones((R, R))
    arr = np.asarray(a, dtype=float)
    if arr.shape != (R, R):
        raise ValueError(f"cost must be ({R}, {R}) (from division × to division), got shape {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError("cost contains NaN")
    if np.any(arr < 0):
        raise ValueError("cost must not be negative")
    return arr


def _cap(a: ArrayLike | None, R: int) -> np.ndarray:
    if a is None:
        return np.full(R, np.inf)
    arr = np.asarray(a, dtype=float)
    if arr.shape not in ((), (R,)):
        raise ValueError(f"cap must be a scalar or ({R},), got shape {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError("cap contains NaN")
    if np.any(arr < 0):
        raise ValueError("cap must not be negative (teachers a division may send in a year)")
    return np.broadcast_to(arr, (R,)).copy()
