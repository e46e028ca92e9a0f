"""Teachers by division: the city's teachers and hires shared among its divisions, and teachers
moved between the divisions of a draw each September (``regions.redeployment.apply``).

The rows are draw-major (row = d·R + r, ``sim/stages/regions.py``); the supply engine runs on them
unchanged, but for ``move_between``, which couples the rows of a draw.

>>> import numpy as np
>>> reg = np.array([30.0, 14.0]).reshape(2, 1, 1, 1, 1)   # two divisions, one level, area, sex, age
>>> b = Between(R=2, cap=np.full((1, 2), 100.0), low=np.array([15.0]), high=np.array([20.0]),
...             pupils=np.array([400.0, 400.0]).reshape(2, 1, 1))
>>> arrived, sent = move_between(b, reg, reg.sum(axis=(3, 4)), 0)
>>> [np.round(x.ravel(), 2).tolist() for x in (sent, arrived, reg)]
[[3.33, 0.0], [0.0, 3.33], [26.67, 17.33]]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..regions import tegang_weights
from .supply import LEVELS, RURAL, TEGANG_LEVELS

# per-row fields of SupplyInputs that are (T, rows) or (T, rows, L) once shared among divisions
YEAR_ROW_FIELDS = ("public_funded", "max_hires", "establishment", "redeploy_cap", "training_trainings")


def share_supply(inp, ctx, demand: np.ndarray, band=None, pupils: np.ndarray | None = None):
    """The city's teachers and hires (``SupplyInputs``) shared among the rows of ``ctx``:

    - teachers in post in the base year, each level and area, by the row's share of the teachers
      needed there in the base year (so every division starts at the city's supply:demand ratio);
    - 特岗 teachers in contract, by the share of rural primary and junior demand; new 特岗 posts
      by ``regions.tegang``; 公费师范生, by each year's share of rural primary and junior demand;
    - the hiring cap, establishment and redeployment cap within divisions, by each year's share of
      demand (of the level, for the establishment);
    - with ``regions.redeployment.apply``, the moves between divisions (``Between``) by the staffing
      ``band`` (teachers.staffing_band) on ``pupils`` (rows, T, L).
    """
    share = ctx.share
    d0 = demand[:, 0]  # (rows, L, 2)
    cell = share(d0)
    tg = list(TEGANG_LEVELS)
    rural_need = demand[:, :, tg, RURAL].sum(axis=2)  # (rows, T)
    total = demand.sum(axis=(2, 3))  # (rows, T)
    by_level = demand.sum(axis=3)  # (rows, T, L)
    between = None
    rd = ctx.regions.settings.redeployment
    if rd.apply:
        between = Between(
            R=ctx.R,
            cap=np.full((demand.shape[1], demand.shape[0]), float(rd.cap)),
            low=np.array([getattr(band, lv).low for lv in LEVELS]),
            high=np.array([getattr(band, lv).high for lv in LEVELS]),
            pupils=pupils,
        )
    out = replace(
        inp,
        between=between,
        regular0=inp.regular0[None] * cell[:, :, :, None, None],
        tegang0=inp.tegang0[None] * cell[:, tg, RURAL][:, None, :, None, None],
        tegang_hires=inp.tegang_hires * tegang_weights(ctx.regions, rural_need),
        public_funded=(inp.public_funded[None, :] * share(rural_need)).T,
        max_hires=(inp.max_hires[None, :] * share(total)).T,
        redeploy_cap=(inp.redeploy_cap[None, :] * share(total)).T,
        training_trainings=(inp.training_trainings[None, :] * share(total)).T,
        establishment=(
            None
            if inp.establishment is None
            else (inp.establishment[None, :, :] * share(by_level)).transpose(1, 0, 2)
        ),
    )
    return out


def row_slice(inp, d: slice) -> dict:
    """The per-row fields of shared ``SupplyInputs`` for the rows ``d`` (for work in blocks)."""
    if inp.regular0.ndim != 5:
        return {}
    out = {"regular0": inp.regular0[d], "tegang0": inp.tegang0[d]}
    for name in YEAR_ROW_FIELDS:
        v = getattr(inp, name)
        if v is not None:
            out[name] = v[:, d]
    if inp.between is not None:
        out["between"] = inp.between.rows(d)
    return out


def rural_rows(rural: np.ndarray, ctx) -> np.ndarray:
    """The city's rural share of pupils of a level (1, T) → each row's (rows, T): scaled by the
    division's ``rural_factor`` and never above 1 (what is cut is ``Check|Rural share capped``)."""
    factor = np.tile(ctx.regions.rural_factor(), ctx.draws // ctx.R)[:, None]
    wanted = rural * factor
    out = np.minimum(wanted, 1.0)
    ctx.check(
        "Rural share capped",
        out - wanted,
        "a division's rural share of pupils came out above 1 and was set to 1",
    )
    return out


# ====================================================================== teachers moved between divisions
@dataclass
class Between:
    """Teachers moved each September from divisions above their staffing band to those below it
    (``regions.redeployment.apply``). Rows are draw-major (row = d·R + r)."""

    R: int
    cap: np.ndarray  # (T, rows) most teachers a division sends in the year
    low: np.ndarray  # (L,) the band's pupils per teacher, low end (more teachers than pupils/low: surplus)
    high: np.ndarray  # (L,) high end (fewer than pupils/high: short)
    pupils: np.ndarray  # (rows, T, L)

    def rows(self, d: slice) -> Between:
        return Between(self.R, self.cap[:, d], self.low, self.high, self.pupils[d])


def move_between(
    b: Between, regular: np.ndarray, supply: np.ndarray, s: int
) -> tuple[np.ndarray, np.ndarray]:
    """Move teachers between the divisions of each draw in September ``s``; ``regular`` (rows, L,
    areas, sexes, ages) is changed in place (特岗 in contract stay where their contract is).

    Level by level, a division above its band (more teachers than pupils/low) offers its surplus;
    first the divisions below their band (fewer than pupils/high) take it, up to their shortage,
    then those inside it take what is left, up to the room their band allows (pupils/low). Every
    sender gives the same share of its surplus and every taker gets the same share of its need or
    room, at most ``cap`` teachers a division sends in all levels. This is the order in which
    ``allocation.allocate`` (``edusim allocate``) lowers the teachers outside the bands: a teacher
    moved into a shortage closes two teachers of gap, one moved into room one; with every route
    open and one price a teacher, it reaches the same gap with the same number of moves when the
    cap does not bind (it works on expected, fractional teachers; allocate on whole ones, and a
    binding cap is shared out here, not routed through other divisions). The movers are the
    senders' regular teachers of the level, every area, sex and age alike.
    Returns (arrived, sent), each (rows, L, areas).
    """
    rows_, L = supply.shape[:2]
    R = b.R
    S = supply.sum(axis=2).reshape(-1, R, L)  # (D, R, L)
    E = b.pupils[:, s].reshape(-1, R, L)
    most = E / b.low  # the band's most teachers
    surplus = np.maximum(S - most, 0.0)
    short = np.maximum(E / b.high - S, 0.0)
    room = np.maximum(most - S, 0.0) - short  # inside the band: what it can still take
    offered = surplus.sum(axis=1)  # (D, L)
    to_short = np.minimum(offered, short.sum(axis=1))
    to_room = np.minimum(offered - to_short, room.sum(axis=1))
    moved = to_short + to_room
    send = surplus * np.divide(moved, offered, out=np.zeros_like(moved), where=offered > 0)[:, None, :]
    # the cap holds for a division's sending over all levels
    total = send.sum(axis=2)
    cap = b.cap[s].reshape(-1, R)
    send = (
        send * np.divide(np.minimum(total, cap), total, out=np.ones_like(total), where=total > 0)[..., None]
    )
    # only regular teachers move: no more than a division has of them at that level
    have = regular.sum(axis=(2, 3, 4)).reshape(-1, R, L)
    send = np.minimum(send, have)
    sent = send.sum(axis=1)  # (D, L) after the cap: shortages are served first
    first = np.minimum(sent, short.sum(axis=1))
    rest = sent - first
    take = (
        short
        * np.divide(first, short.sum(axis=1), out=np.zeros_like(first), where=short.sum(axis=1) > 0)[
            :, None, :
        ]
        + room
        * np.divide(rest, room.sum(axis=1), out=np.zeros_like(rest), where=room.sum(axis=1) > 0)[:, None, :]
    )
    frac = np.divide(send, have, out=np.zeros_like(send), where=have > 0).reshape(rows_, L)
    movers = regular * frac[:, :, None, None, None]  # (rows, L, areas, sexes, ages)
    regular -= movers
    pool = movers.reshape((-1, R) + movers.shape[1:]).sum(axis=1)  # (D, L, areas, sexes, ages)
    # each taker's share of what was sent, level by level
    share = np.divide(take, sent[:, None, :], out=np.zeros_like(take), where=sent[:, None, :] > 0)
    arrived = share[..., None, None, None] * pool[:, None]
    regular += arrived.reshape(regular.shape)
    return arrived.sum(axis=(4, 5)).reshape(rows_, L, -1), movers.sum(axis=(3, 4))
