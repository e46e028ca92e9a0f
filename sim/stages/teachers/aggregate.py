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

import numpy as np

from .retirement import AGES, A, S
from .supply import (
    AR,
    CONTRACT_END_OFFSET,
    MIN_AGE,
    RURAL,
    TEGANG_LEVELS,
    L,
    SupplyInputs,
    decide_moves,
    empty_records,
    move_incidence,
    place_to_need,
    projected_supply,
    regular_hires,
)


def _cells(R: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Teachers in post by cell (D, L, 2): regular plus 特岗 in contract (rural primary and junior)."""
    sup = R.sum(axis=(3, 4))
    sup[:, list(TEGANG_LEVELS), RURAL] += G.sum(axis=(1, 3, 4))
    return sup


def aggregate_supply(inp: SupplyInputs) -> dict[str, np.ndarray]:
    """The aggregate stock-flow: expected supply and flows, arrays (D, T, ...).

    Returns the records of ``supply.empty_records``: supply and every flow by cell (D, T, L, 2),
    city totals (D, T); subsidy in yuan a month.
    """
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
    moving = inp.redeploying
    pipe = np.zeros((D, T, len(inp.moves)))  # moves decided, by the September they happen

    R = np.broadcast_to(inp.regular0, (D, L, AR, S, A)).copy()
    G = np.broadcast_to(inp.tegang0, (D, K, 2, S, A)).copy()
    out = empty_records((D, T))
    tl = list(TEGANG_LEVELS)
    out["tegang_hires"][:, 0, tl, RURAL] = G[:, 0].sum(axis=(2, 3))
    for i in range(T):
        # ---- the stock of year i
        sup = _cells(R, G)
        out["supply"][:, i] = sup
        out["tegang_in_contract"][:, i] = G.sum(axis=(1, 2, 3, 4))
        out["subsidy"][:, i] = (R[:, :, RURAL] * subsidy_age).sum(axis=(1, 2, 3)) + (G * subsidy_age).sum(
            axis=(1, 2, 3, 4)
        )
        if moving and inp.lag >= 1 and i + inp.lag < T:
            _decide(inp, out, pipe, R, G, i, i + inp.lag)
        # ---- the year's flows
        ret = R * rs[i][None, None, None]
        att = R * as_[i][None, None, None]
        Rs = R * ss[i][None, None, None]
        Gs = G[:, : K - 1] * e1
        end = G[:, K - 1] * e_end  # reach the end of the contract
        kept = end * inp.retention[:, None, None, None]
        out["tegang_retained"][:, i] = kept.sum(axis=(1, 2, 3))
        out["tegang_left"][:, i, tl, RURAL] = (end - kept).sum(axis=(2, 3))
        kept_sep = kept * e_rest
        tatt = (
            (G[:, : K - 1] - Gs).sum(axis=(1, 3, 4))
            + (G[:, K - 1] - end).sum(axis=(2, 3))
            + (kept - kept_sep).sum(axis=(2, 3))
        )
        out["retirements"][:, i] = ret.sum(axis=(3, 4))
        out["attrition"][:, i] = att.sum(axis=(3, 4))
        out["attrition"][:, i, tl, RURAL] += tatt
        if i == T - 1:
            break
        # ---- age everyone by a year; retained 特岗 become regular rural teachers
        Rs[:, tl, RURAL] += kept_sep
        Rn = np.zeros_like(R)
        Rn[..., 1:] = Rs[..., :-1]
        out["retirements"][:, i] += Rs[..., -1].sum(axis=3)  # nobody teaches past 70
        Gn = np.zeros_like(G)
        Gn[:, 1:, ..., 1:] = Gs[..., :-1]
        # ---- September of year s = i+1
        s = i + 1
        if moving:
            if inp.lag == 0:
                _decide(inp, out, pipe, Rn, Gn, s, s)
            _move(Rn, pipe[:, s], inp.moves, out, s)
        if inp.early:
            _retire_early(inp, Rn, _cells(Rn, Gn), out, s)
        # 特岗 and 公费师范生 first, then regular hires to demand
        nt = inp.tegang_hires[:, s] * np.ones(D)
        npf = inp.public_funded[s] * np.ones(D)
        if inp.policy == "quota":
            ps = inp.tegang_primary_share
            teg = np.stack([nt * ps, nt * (1 - ps)], axis=1)  # (D, 2)
            qs = inp.public_funded_primary_share
            pf2 = np.stack([npf * qs, npf * (1 - qs)], axis=1)
        else:
            cells = _cells(Rn, Gn)[:, tl, RURAL]  # (D, 2)
            room = np.maximum(inp.demand[:, s][:, tl, RURAL] * (1 + inp.surplus_floor) - cells, 0.0)
            room = np.broadcast_to(room, (D, 2))
            teg = place_to_need(room, nt)
            pf2 = place_to_need(room - teg, npf)
        ta = inp.tegang_age - MIN_AGE
        for j in range(2):
            Gn[:, 0, j, :, ta] += teg[:, j, None] * sex_split[TEGANG_LEVELS[j]]
        out["tegang_hires"][:, s, tl, RURAL] = teg
        out["tegang_not_placed"][:, s] = nt - teg.sum(axis=1)
        pa = inp.public_funded_age - MIN_AGE
        pf = np.zeros((D, L))
        pf[:, tl] = pf2
        Rn[:, :, RURAL, :, pa] += pf[:, :, None] * sex_split[None]
        out["public_funded"][:, s, tl, RURAL] = pf2
        out["public_funded_not_placed"][:, s] = npf - pf2.sum(axis=1)
        sup = _cells(Rn, Gn)
        est = None if inp.establishment is None else inp.establishment[s]
        hires = regular_hires(inp.demand[:, s], sup, inp.rule, inp.max_hires[s], est)
        Rn[..., inp.hire_age - MIN_AGE] += hires[..., None] * sex_split[None, :, None, :]
        out["regular_hires"][:, s] = hires
        out["regular_hires"][:, s, :, RURAL] += pf
        R, G = Rn, Gn
    return out


def _decide(
    inp: SupplyInputs, out: dict, pipe: np.ndarray, R: np.ndarray, G: np.ndarray, now: int, due: int
) -> None:
    """Decide at ``now`` the moves of September ``due``: each cell's projected position is the part of
    its teachers now expected to be still in post in ``due``, plus moves already decided and not yet
    made, minus its demand in ``due``."""
    pending = pipe[:, now + (1 if due > now else 0) : due].sum(axis=1)  # (D, P), not yet made
    counts = R.copy()
    counts[:, list(TEGANG_LEVELS), RURAL] += G.sum(axis=1)
    sup = projected_supply(counts, inp.stay, now, due)
    pos = sup - inp.demand[:, due]
    pos = np.broadcast_to(pos, sup.shape).copy()
    if pending.any():
        pos += np.tensordot(pending, move_incidence(inp.moves), axes=(1, 0))
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
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(have > 0, m / have, 0.0)
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
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(eligible > 0, n / eligible, 0.0)
    R -= R * elig * frac[..., None, None]
    out["early_retirements"][:, s] = n
