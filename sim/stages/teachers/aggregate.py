"""The aggregate engine: expected teacher supply and flows as array arithmetic, vectorised over draws.

It is the expectation of the discrete-event model (``des.py``): retirement on the statutory
date (birth months spread evenly inside each age), attrition as a constant hazard within
each year of age, 特岗 contract end (a share retained as regular teachers), then next
September's round (``supply.py``): moves decided earlier, early retirement in surplus cells,
特岗 and 公费师范生 (quota or to need), regular hires up to demand under the hiring rule, and the
moves for a later September. Moves and early retirements take teachers in proportion from every
sex and age of their cell (from the eligible ages for early retirement), which is what a random
choice of teachers gives on average.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .divisions import move_between, row_slice
from .retirement import AGES, A, S
from .supply import (
    AR,
    CONTRACT_END_OFFSET,
    MIN_AGE,
    RURAL,
    TEGANG_LEVELS,
    L,
    SupplyInputs,
    _older,
    decide_moves,
    empty_records,
    move_incidence,
    place_to_need,
    projected_supply,
    regular_hires,
)

# the 特岗 levels (primary, junior) as a slice when they are neighbours (a view, not a copy)
_TL = (
    slice(TEGANG_LEVELS[0], TEGANG_LEVELS[-1] + 1)
    if tuple(TEGANG_LEVELS) == tuple(range(TEGANG_LEVELS[0], TEGANG_LEVELS[-1] + 1))
    else list(TEGANG_LEVELS)
)


def _cells(R: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Teachers in post by cell (D, L, 2): regular plus 特岗 in contract (rural primary and junior)."""
    sup = R.sum(axis=(3, 4))
    sup[:, _TL, RURAL] += G.sum(axis=(1, 3, 4))
    return sup


# draws run together through the years: every draw's stock-flow is its own, and a block's arrays
# (about 1,000 numbers a draw for the regular stock alone) stay in cache
BLOCK = 128


def aggregate_supply(inp: SupplyInputs) -> dict[str, np.ndarray]:
    """The aggregate stock-flow: expected supply and flows, arrays (D, T, ...).

    Returns the records of ``supply.empty_records``: supply and every flow by cell (D, T, L, 2),
    city totals (D, T); subsidy in yuan a month.
    """
    D = inp.demand.shape[0]
    # moves between divisions couple the rows of a draw: a block holds whole draws
    block = BLOCK if inp.between is None else max(inp.between.R, BLOCK // inp.between.R * inp.between.R)
    if D <= block:
        return _aggregate_block(inp)
    out = empty_records((D, len(inp.years)))
    for d0 in range(0, D, block):
        d = slice(d0, min(d0 + block, D))
        part = replace(
            inp,
            demand=inp.demand[d],
            tegang_hires=inp.tegang_hires if len(inp.tegang_hires) == 1 else inp.tegang_hires[d],
            retention=inp.retention if len(inp.retention) == 1 else inp.retention[d],
            **row_slice(inp, d),
        )
        for k, v in _aggregate_block(part).items():
            out[k][d] = v
    return out


def _aggregate_block(inp: SupplyInputs) -> dict[str, np.ndarray]:
    """:func:`aggregate_supply` for one block of draws."""
    years = inp.years
    T = len(years)
    D = inp.demand.shape[0]
    K = inp.contract_years
    rs, as_, ss = inp.shares
    e1 = np.exp(-inp.lam)  # (A,) a full year without leaving
    e_end = np.exp(-inp.lam * (1 - CONTRACT_END_OFFSET))  # to the contract end
    e_rest = np.exp(-inp.lam * CONTRACT_END_OFFSET)  # contract end to 1 September
    tenure = np.clip(AGES - inp.career_start_age, 0, len(inp.subsidy_by_tenure) - 1)
    subsidy_age = inp.subsidy_by_tenure[tenure]  # (A,) aggregate: tenure from age
    fem = inp.female_share
    sex_split = np.stack([fem, 1 - fem], axis=1)  # (L, 2)
    split_hires = sex_split[None, :, None, :]  # (1, L, 1, 2)
    split_teg = sex_split[list(TEGANG_LEVELS)]  # (2, 2): 特岗 levels × sex
    moving = inp.redeploying
    pipe = np.zeros((D, T, len(inp.moves)))  # moves decided, by the September they happen
    incidence = move_incidence(inp.moves) if moving else None
    retention = inp.retention[:, None, None, None]
    demand = inp.demand
    floor = 1 + inp.surplus_floor

    R = np.broadcast_to(inp.regular0, (D, L, AR, S, A)).copy()
    G = np.broadcast_to(inp.tegang0, (D, K, 2, S, A)).copy()
    out = empty_records((D, T))
    (o_supply, o_in_contract, o_subsidy, o_retained, o_left, o_ret, o_att, o_teg_hires, o_teg_np,
     o_pf, o_pf_np, o_hires) = (
        out[k] for k in ("supply", "tegang_in_contract", "subsidy", "tegang_retained", "tegang_left",
                         "retirements", "attrition", "tegang_hires", "tegang_not_placed",
                         "public_funded", "public_funded_not_placed", "regular_hires")
    )  # fmt: skip
    tl = _TL
    ta = inp.tegang_age - MIN_AGE
    pa = inp.public_funded_age - MIN_AGE
    ha = inp.hire_age - MIN_AGE
    o_teg_hires[:, 0, tl, RURAL] = G[:, 0].sum(axis=(2, 3))
    for i in range(T):
        # ---- the stock of year i
        o_supply[:, i] = _cells(R, G)
        o_in_contract[:, i] = G.sum(axis=(1, 2, 3, 4))
        o_subsidy[:, i] = (R[:, :, RURAL] * subsidy_age).sum(axis=(1, 2, 3)) + (G * subsidy_age).sum(
            axis=(1, 2, 3, 4)
        )
        if moving and inp.lag >= 1 and i + inp.lag < T:
            _decide(inp, out, pipe, R, G, i, i + inp.lag, incidence)
        # ---- the year's flows
        ret = R * rs[i]
        att = R * as_[i]
        Rs = R * ss[i]
        Gs = G[:, : K - 1] * e1
        end = G[:, K - 1] * e_end  # reach the end of the contract
        kept = end * retention
        o_retained[:, i] = kept.sum(axis=(1, 2, 3))
        o_left[:, i, tl, RURAL] = (end - kept).sum(axis=(2, 3))
        kept_sep = kept * e_rest
        tatt = (
            (G[:, : K - 1] - Gs).sum(axis=(1, 3, 4))
            + (G[:, K - 1] - end).sum(axis=(2, 3))
            + (kept - kept_sep).sum(axis=(2, 3))
        )
        o_ret[:, i] = ret.sum(axis=(3, 4))
        o_att[:, i] = att.sum(axis=(3, 4))
        o_att[:, i, tl, RURAL] += tatt
        if i == T - 1:
            break
        # ---- age everyone by a year; retained 特岗 become regular rural teachers
        Rs[:, tl, RURAL] += kept_sep
        Rn = np.empty_like(R)
        Rn[..., 0] = 0.0
        Rn[..., 1:] = Rs[..., :-1]
        o_ret[:, i] += Rs[..., -1].sum(axis=3)  # nobody teaches past 70
        Gn = np.empty_like(G)
        Gn[:, 0] = 0.0
        Gn[:, 1:, ..., 0] = 0.0
        Gn[:, 1:, ..., 1:] = Gs[..., :-1]
        # ---- September of year s = i+1
        s = i + 1
        if moving:
            if inp.lag == 0:
                _decide(inp, out, pipe, Rn, Gn, s, s, incidence)
            _move(Rn, pipe[:, s], inp.moves, out, s)
        if inp.early:
            _retire_early(inp, Rn, _cells(Rn, Gn), out, s)
        if inp.between is not None:  # teachers moved between divisions, before anyone is hired
            arrived, sent = move_between(inp.between, Rn, _cells(Rn, Gn), s)
            out["moved_in"][:, s] = arrived
            out["moved_out"][:, s] = sent
        # 特岗 and 公费师范生 first, then regular hires to demand
        nt = inp.tegang_hires[:, s] * np.ones(D)
        npf = inp.public_funded[s] * np.ones(D)
        if inp.policy == "quota":
            ps = inp.tegang_primary_share
            teg = np.stack([nt * ps, nt * (1 - ps)], axis=1)  # (D, 2)
            qs = inp.public_funded_primary_share
            pf2 = np.stack([npf * qs, npf * (1 - qs)], axis=1)
        else:
            cells = Rn[:, tl, RURAL].sum(axis=(2, 3))  # (D, 2): _cells(Rn, Gn)[:, tl, RURAL]
            cells += Gn.sum(axis=(1, 3, 4))
            room = np.maximum(demand[:, s, tl, RURAL] * floor - cells, 0.0)
            if room.shape != (D, 2):
                room = np.broadcast_to(room, (D, 2))
            teg = place_to_need(room, nt)
            pf2 = place_to_need(room - teg, npf)
        Gn[:, 0, :, :, ta] += teg[:, :, None] * split_teg
        o_teg_hires[:, s, tl, RURAL] = teg
        o_teg_np[:, s] = nt - teg.sum(axis=1)
        Rn[:, tl, RURAL, :, pa] += pf2[:, :, None] * split_teg
        o_pf[:, s, tl, RURAL] = pf2
        o_pf_np[:, s] = npf - pf2.sum(axis=1)
        sup = _cells(Rn, Gn)
        est = None if inp.establishment is None else inp.establishment[s]
        hires = regular_hires(demand[:, s], sup, inp.rule, inp.max_hires[s], est)
        Rn[..., ha] += hires[..., None] * split_hires
        o_hires[:, s] = hires
        o_hires[:, s, tl, RURAL] += pf2
        R, G = Rn, Gn
    return out


def _decide(
    inp: SupplyInputs,
    out: dict,
    pipe: np.ndarray,
    R: np.ndarray,
    G: np.ndarray,
    now: int,
    due: int,
    incidence: np.ndarray | None = None,
) -> None:
    """Decide at ``now`` the moves of September ``due``: each cell's projected position is the part of
    its teachers now expected to be still in post in ``due``, plus moves already decided and not yet
    made, minus its demand in ``due``."""
    first = now + (1 if due > now else 0)
    if due > now:  # projected_supply(counts, stay, now, due), the first year without copying R
        stay = inp.stay[now]
        x = R * stay
        x[:, _TL, RURAL] = (R[:, _TL, RURAL] + G.sum(axis=1)) * stay
        sup = projected_supply(_older(x), inp.stay, now + 1, due)
    else:
        counts = R.copy()
        counts[:, _TL, RURAL] += G.sum(axis=1)
        sup = projected_supply(counts, inp.stay, now, due)
    pos = sup - inp.demand[:, due]
    if pos.shape != sup.shape:
        pos = np.broadcast_to(pos, sup.shape).copy()
    if first < due:  # moves decided earlier for Septembers before ``due``, not yet made
        pending = pipe[:, first:due].sum(axis=1)  # (D, P)
        if pending.any():
            inc = move_incidence(inp.moves) if incidence is None else incidence
            pos += np.tensordot(pending, inc, axes=(1, 0))
    m = decide_moves(pos, inp.moves, inp.redeploy_cap[due], inp.demand[:, due] * inp.surplus_floor)
    pipe[:, due] += m
    out["redeployed_decided"][:, now] += m.sum(axis=1)


def _move(R: np.ndarray, due: np.ndarray, moves: np.ndarray, out: dict, s: int) -> None:
    """Make the moves due (D, P): regular teachers leave their cell in proportion by sex and age
    (at most all of them) and join the other cell."""
    for p in np.flatnonzero(due.any(axis=0)):
        fl, fa, tl, ta = moves[p]
        have = R[:, fl, fa].sum(axis=(1, 2))
        m = np.minimum(due[:, p], have)
        frac = np.divide(m, have, out=np.zeros_like(have), where=have > 0)
        moved = R[:, fl, fa] * frac[:, None, None]
        R[:, fl, fa] -= moved
        R[:, tl, ta] += moved
        out["redeployed_out"][:, s, fl, fa] += m
        out["redeployed_in"][:, s, tl, ta] += m


def _retire_early(inp: SupplyInputs, R: np.ndarray, sup: np.ndarray, out: dict, s: int) -> None:
    """Early retirement: in each cell above demand × (1 + surplus floor), min(surplus beyond it,
    share × eligible) regular teachers of the eligible ages leave, in proportion."""
    elig = inp.early_eligible[s]  # (2, A)
    eligible = (R * elig).sum(axis=(3, 4))  # (D, L, 2)
    surplus = np.maximum(sup - inp.demand[:, s] * (1 + inp.surplus_floor), 0.0)
    n = np.minimum(surplus, inp.early_share * eligible)
    frac = np.divide(n, eligible, out=np.zeros_like(eligible), where=eligible > 0)
    R -= R * elig * frac[..., None, None]
    out["early_retirements"][:, s] = n
