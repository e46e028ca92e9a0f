"""The aggregate engine: expected teacher supply and flows as array arithmetic, vectorised over draws.

It is the expectation of the discrete-event model (``des.py``): retirement on the statutory
date (birth months spread evenly inside each age), attrition as a constant hazard within
each year of age, 特岗 contract end (a share retained as regular teachers), then next
September's hires: 特岗 and 公费师范生 first, then regular hires up to demand, capped by the
hiring rule.
"""

from __future__ import annotations

import numpy as np

from .retirement import AGES, A, S, year_shares
from .supply import (
    AR,
    CONTRACT_END_OFFSET,
    MIN_AGE,
    RURAL,
    TEGANG_LEVELS,
    L,
    SupplyInputs,
    empty_records,
    regular_hires,
)


def aggregate_supply(inp: SupplyInputs) -> dict[str, np.ndarray]:
    """The aggregate stock-flow: expected supply and flows, arrays (D, T, ...) by level.

    Returns supply (D, T, L, 2), retirements/attrition/regular_hires (D, T, L),
    tegang_hires/tegang_in_contract/tegang_retained/tegang_left/public_funded (D, T) and
    subsidy (D, T) in yuan a month.
    """
    years = inp.years
    T = len(years)
    D = inp.demand.shape[0]
    K = inp.contract_years
    t0 = int(years[0])
    rs, as_, ss = year_shares(years, inp.retirement, inp.lam, t0)
    e1 = np.exp(-inp.lam)  # (A,) a full year without leaving
    e_end = np.exp(-inp.lam * (1 - CONTRACT_END_OFFSET))  # to the contract end
    e_rest = np.exp(-inp.lam * CONTRACT_END_OFFSET)  # contract end to 1 September
    tenure = np.clip(AGES - inp.career_start_age, 0, len(inp.subsidy_by_tenure) - 1)
    subsidy_age = inp.subsidy_by_tenure[tenure]  # (A,) aggregate: tenure from age
    fem = inp.female_share
    sex_split = np.stack([fem, 1 - fem], axis=1)  # (L, 2)

    R = np.broadcast_to(inp.regular0, (D, L, AR, S, A)).copy()
    G = np.broadcast_to(inp.tegang0, (D, K, 2, S, A)).copy()
    out = empty_records((D, T))
    out["tegang_hires"][:, 0] = G[:, 0].sum(axis=(1, 2, 3))
    tl = list(TEGANG_LEVELS)
    for i in range(T):
        # ---- the stock of year i
        sup = R.sum(axis=(3, 4))
        sup[:, tl, RURAL] += G.sum(axis=(1, 3, 4))
        out["supply"][:, i] = sup
        out["tegang_in_contract"][:, i] = G.sum(axis=(1, 2, 3, 4))
        out["subsidy"][:, i] = (R[:, :, RURAL] * subsidy_age).sum(axis=(1, 2, 3)) + (G * subsidy_age).sum(
            axis=(1, 2, 3, 4)
        )
        # ---- the year's flows
        ret = R * rs[i][None, None, None]
        att = R * as_[i][None, None, None]
        Rs = R * ss[i][None, None, None]
        Gs = G[:, : K - 1] * e1
        end = G[:, K - 1] * e_end  # reach the end of the contract
        kept = end * inp.retention[:, None, None, None]
        out["tegang_retained"][:, i] = kept.sum(axis=(1, 2, 3))
        out["tegang_left"][:, i] = (end - kept).sum(axis=(1, 2, 3))
        kept_sep = kept * e_rest
        tatt = (
            (G[:, : K - 1] - Gs).sum(axis=(1, 3, 4))
            + (G[:, K - 1] - end).sum(axis=(2, 3))
            + (kept - kept_sep).sum(axis=(2, 3))
        )
        out["retirements"][:, i] = ret.sum(axis=(2, 3, 4))
        att_l = att.sum(axis=(2, 3, 4))
        att_l[:, tl] += tatt
        out["attrition"][:, i] = att_l
        if i == T - 1:
            break
        # ---- age everyone by a year; retained 特岗 become regular rural teachers
        Rs[:, tl, RURAL] += kept_sep
        Rn = np.zeros_like(R)
        Rn[..., 1:] = Rs[..., :-1]
        out["retirements"][:, i] += Rs[..., -1].sum(axis=(2, 3))  # nobody teaches past 70
        Gn = np.zeros_like(G)
        Gn[:, 1:, ..., 1:] = Gs[..., :-1]
        # ---- September of year i+1: 特岗 and 公费师范生 first, then regular hires to demand
        nt = inp.tegang_hires[:, i + 1]
        ps = inp.tegang_primary_share
        ta = inp.tegang_age - MIN_AGE
        for j, share in ((0, ps), (1, 1 - ps)):
            Gn[:, 0, j, :, ta] += nt[:, None] * share * sex_split[TEGANG_LEVELS[j]]
        out["tegang_hires"][:, i + 1] = nt
        npf = inp.public_funded[i + 1]
        pa = inp.public_funded_age - MIN_AGE
        pf = np.zeros((L,))
        pf[TEGANG_LEVELS[0]] = npf * inp.public_funded_primary_share
        pf[TEGANG_LEVELS[1]] = npf * (1 - inp.public_funded_primary_share)
        Rn[:, :, RURAL, :, pa] += pf[:, None] * sex_split
        out["public_funded"][:, i + 1] = npf
        sup = Rn.sum(axis=(3, 4))
        sup[:, tl, RURAL] += Gn.sum(axis=(1, 3, 4))
        est = None if inp.establishment is None else inp.establishment[i + 1]
        hires = regular_hires(inp.demand[:, i + 1], sup, inp.rule, inp.max_hires[i + 1], est)
        Rn[..., inp.hire_age - MIN_AGE] += hires[..., None] * sex_split[None, :, None, :]
        out["regular_hires"][:, i + 1] = hires.sum(axis=2) + pf[None, :]
        R, G = Rn, Gn
    return out
