"""Reference copy (issue #13) of sim/stages/teachers/des.py before the fast engine; only the imports
were made absolute. tests/test_des_fast.py checks the new engine against it bit for bit.

The discrete-event teacher model (simpy): one process per teacher, waiting for its next career event.

Each teacher's process sleeps until the earliest of its retirement date (statutory age
plus the reform's delay, from its birth month), its attrition time (drawn once, at
entry, from the hazard by age: the hazard depends on age only, so one draw serves the
whole career) and, for a 特岗 teacher, its contract end (kept as a regular teacher with
the retention probability, drawn at entry). Nothing ticks yearly per teacher. A single
``hiring`` process runs each September: moves decided earlier (teachers chosen at random among
the regular teachers of the cell), early retirement in surplus cells, 特岗 and 公费师范生
placements (quota or to need), regular hires up to demand under the hiring rule, the year's
training places, the year's records (head counts, township subsidies by each teacher's township
years, the share on track for 360 training hours in 5 years), and the moves for a later September.
With ``policy: quota`` and no redeployment or early retirement, the random numbers are drawn in
the same order as before these were added, so a seed gives the same teachers.

Time τ is in years from 1 September of year 0 (see ``supply.py``); the flows of
school year t are the events in [t, t+1). Everything random comes from the draw's own
generator, ``numpy.random.default_rng(ctx.seed_sequence(d, STREAM))``, so a draw's result
depends on the seed and its global draw number only.

>>> rng = np.random.default_rng(0)
>>> stochastic_round(np.array([0.5, 0.5, 2.0]), rng).tolist()
[0, 1, 2]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import simpy

from sim.core.context import StageContext
from sim.stages.teachers.retirement import retirement_instants
from sim.stages.teachers.supply import (
    AREAS,
    CONTRACT_END_OFFSET,
    LEVELS,
    MIN_AGE,
    RURAL,
    SEXES,
    TEGANG_LEVELS,
    SupplyInputs,
    decide_moves,
    empty_records,
    move_incidence,
    projected_supply,
    regular_hires,
)

__all__ = ["STREAM", "stochastic_round", "draw_attrition", "CareerModel", "simulate_draw", "des_supply"]

STREAM = 41  # the random stream of the teachers' discrete-event model
L, AR, S = len(LEVELS), len(AREAS), len(SEXES)
INF = math.inf


def stochastic_round(x: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    """Round to an integer up with probability equal to the fraction: unbiased, so means match the aggregate.

    >>> rng = np.random.default_rng(0)
    >>> stochastic_round(np.array([2.0, 3.0]), rng).tolist()
    [2, 3]
    """
    x = np.asarray(x, dtype=float)
    f = np.floor(x)
    return (f + (rng.random(x.shape) < (x - f))).astype(np.int64)


def _hazard_table(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """λ for ages 0..150 (bands below 18 and above 70 extend the end bands) and its cumulative sum."""
    full = np.empty(151)
    full[:MIN_AGE] = lam[0]
    full[MIN_AGE : MIN_AGE + len(lam)] = lam
    full[MIN_AGE + len(lam) :] = lam[-1]
    return full, np.concatenate([[0.0], np.cumsum(full)])


def draw_attrition(
    t_entry: np.ndarray, age_entry: np.ndarray, lam: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Attrition times for teachers entering at integer times with integer ages (inf: never).

    The hazard is constant within each year of age (age = floor(τ) − birth cohort), so the
    cumulative hazard is piecewise linear; an Exp(1) draw is inverted through it.

    >>> rng = np.random.default_rng(1)
    >>> draw_attrition(np.array([2020.0]), np.array([30]), np.zeros(53), rng).tolist()
    [inf]
    """
    full, ch = _hazard_table(lam)
    e = rng.standard_exponential(len(t_entry))
    target = ch[age_entry] + e
    k = np.searchsorted(ch, target, side="right") - 1  # age in whose year it happens
    ok = (k < len(full)) & (e > 0)
    kk = np.minimum(k, len(full) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(full[kk] > 0, (target - ch[kk]) / full[kk], INF)
    return np.where(ok, t_entry + (kk - age_entry) + frac, INF)


class CareerModel:
    """One draw's teachers: attributes in arrays indexed by teacher, one simpy process each."""

    def __init__(
        self,
        inp: SupplyInputs,
        demand: np.ndarray,
        rng: np.random.Generator,
        env: simpy.Environment | None = None,
    ):
        self.inp, self.demand, self.rng = inp, demand, rng
        self.env = env if env is not None else simpy.Environment(initial_time=float(inp.years[0]))
        self.t0 = int(inp.years[0])
        self.T = len(inp.years)
        self.t_end = float(inp.years[-1] + 1)
        self.full_lam, _ = _hazard_table(inp.lam)
        cap = 1024
        self.n = 0
        self._alloc(cap)
        self.cnt = np.zeros((L, AR), dtype=np.int64)  # teachers in post by level × area
        self.in_contract = 0
        T = self.T
        self.rec = empty_records((T,), extra=("training_share",))
        self.pipe = np.zeros((T, len(inp.moves)))  # moves decided, by the September they happen

    # ------------------------------------------------------------------ storage
    def _alloc(self, cap: int) -> None:
        T = self.T
        fields = {
            "level": np.int8,
            "area": np.int8,
            "sex": np.int8,
            "ret": float,
            "att": float,
            "cend": float,
            "kept": bool,
            "active": bool,
            "town": float,
            "start": np.int64,
            "born": np.int64,  # school-year birth cohort (age on 1 September t = t − born)
        }
        old = getattr(self, "_cols", None)
        self._cols = {}
        for name, dt in fields.items():
            arr = np.zeros(cap, dtype=dt)
            if old is not None:
                arr[: self.n] = old[name][: self.n]
            self._cols[name] = arr
            setattr(self, name, arr)
        hours = np.zeros((cap, T), dtype=np.float32)
        if old is not None:
            hours[: self.n] = self.hours[: self.n]
        self.hours = hours
        self.cap = cap

    def add(
        self,
        level: np.ndarray,
        area: np.ndarray,
        sex: np.ndarray,
        age: np.ndarray,
        t: int,
        contract_end: np.ndarray | None = None,
        town_years: np.ndarray | None = None,
        month: np.ndarray | None = None,
    ) -> None:
        """Put teachers in post at time t (integer year) and start their processes."""
        m = len(level)
        if m == 0:
            return
        while self.n + m > self.cap:
            self._alloc(self.cap * 2)
        sl = slice(self.n, self.n + m)
        rng = self.rng
        cohort = t - age
        ret = np.empty(m)
        for s, sex_name in enumerate(SEXES):
            pick = sex == s
            if not pick.any():
                continue
            inst = retirement_instants(cohort[pick], sex_name == "female", self.inp.retirement)
            alive = inst > t
            none = ~alive.any(axis=1)
            alive[none] = True
            # birth month: uniform over the cohort's months not yet retired (all 12 for the young)
            k = np.minimum((rng.random(pick.sum()) * alive.sum(axis=1)).astype(int), alive.sum(axis=1) - 1)
            col = np.argmax(np.cumsum(alive, axis=1) > k[:, None], axis=1)
            r = inst[np.arange(len(col)), col]
            ret[pick] = np.where(none, t + 1.0 / 24.0, r)
        self.level[sl], self.area[sl], self.sex[sl] = level, area, sex
        self.born[sl] = cohort
        self.ret[sl] = ret
        self.att[sl] = draw_attrition(np.full(m, float(t)), age, self.inp.lam, rng)
        if contract_end is None:
            self.cend[sl] = INF
            self.kept[sl] = True
        else:
            self.cend[sl] = contract_end
            self.kept[sl] = rng.random(m) < self.inp.retention
            self.in_contract += m
        self.active[sl] = True
        tw = np.zeros(m) if town_years is None else town_years
        self.town[sl] = np.where(area == RURAL, t - tw, np.nan)
        self.start[sl] = t - self.t0
        np.add.at(self.cnt, (level, area), 1)
        env, career = self.env, self.career
        # a teacher whose first event falls after the horizon would only sleep through it:
        # no process is started for them (the results are the same)
        first = np.minimum(np.minimum(self.cend[sl], self.att[sl]), self.ret[sl])
        for i in (self.n + np.flatnonzero(first < self.t_end)).tolist():
            env.process(career(i))
        self.n += m

    # ------------------------------------------------------------------ processes
    def _year(self) -> int:
        return min(int(self.env.now) - self.t0, self.T - 1)

    def _leave(self, i: int) -> None:
        self.active[i] = False
        self.cnt[self.level[i], self.area[i]] -= 1

    def career(self, i: int):
        """A teacher's career: wait for the next event; at most a contract end, then an exit."""
        env = self.env
        ce, ta, tr = self.cend[i], self.att[i], self.ret[i]
        if ce < ta and ce < tr:
            if ce >= self.t_end:
                return
            yield env.timeout(ce - env.now)
            y = self._year()
            self.in_contract -= 1
            if not self.kept[i]:
                self.rec["tegang_left"][y, self.level[i], self.area[i]] += 1
                self._leave(i)
                return
            self.rec["tegang_retained"][y] += 1
        tx = ta if ta < tr else tr
        if tx >= self.t_end:
            return
        yield env.timeout(tx - env.now)
        if not self.active[i]:  # retired early in a September round
            return
        y = self._year()
        self.rec["retirements" if tr <= ta else "attrition"][y, self.level[i], self.area[i]] += 1
        if self.cend[i] < INF and self.cend[i] > env.now:  # left during a 特岗 contract
            self.in_contract -= 1
        self._leave(i)

    def hiring(self):
        """Each September: placements, regular hires to demand, training places, the year's records."""
        inp, env = self.inp, self.env
        for i, t in enumerate(inp.years):
            t = int(t)
            if i > 0:
                yield env.timeout(t - env.now)
                self._september(i, t)
            self._train_and_record(i, t)
            if inp.redeploying and inp.lag >= 1 and i + inp.lag < self.T:
                self._decide(i, i + inp.lag)

    def _new(
        self, level_counts: np.ndarray, area: int, age: int, t: int, contract_end: float | None = None
    ) -> None:
        level = np.repeat(np.arange(L), level_counts).astype(np.int8)
        fem = self.inp.female_share[level]
        sex = (self.rng.random(len(level)) >= fem).astype(np.int8)  # 0 = female
        ce = None if contract_end is None else np.full(len(level), contract_end)
        self.add(level, np.full(len(level), area, dtype=np.int8), sex, np.full(len(level), age), t, ce)

    def _september(self, i: int, t: int) -> None:
        inp, rng = self.inp, self.rng
        if inp.redeploying:
            if inp.lag == 0:
                self._decide(i, i)
            self._move(i, t)
        if inp.early:
            self._retire_early(i, t)
        p, j = TEGANG_LEVELS
        ce = t + inp.contract_years - CONTRACT_END_OFFSET
        nt = int(stochastic_round(inp.tegang_hires[i], rng))
        if inp.policy == "quota":  # the draws in the order they were made before to-need existed
            n_p = rng.binomial(nt, inp.tegang_primary_share)
            counts = np.zeros(L, dtype=np.int64)
            counts[p], counts[j] = n_p, nt - n_p
            self._new(counts, RURAL, inp.tegang_age, t, contract_end=ce)
            npf = int(stochastic_round(inp.public_funded[i], rng))
            n_p = rng.binomial(npf, inp.public_funded_primary_share)
            pf = np.zeros(L, dtype=np.int64)
            pf[p], pf[j] = n_p, npf - n_p
            self._new(pf, RURAL, inp.public_funded_age, t)
        else:
            counts = self._to_need(i, nt)
            self._new(counts, RURAL, inp.tegang_age, t, contract_end=ce)
            npf = int(stochastic_round(inp.public_funded[i], rng))
            pf = self._to_need(i, npf)
            self._new(pf, RURAL, inp.public_funded_age, t)
        self.rec["tegang_hires"][i, :, RURAL] = counts
        self.rec["tegang_not_placed"][i] = nt - counts.sum()
        self.rec["public_funded"][i, :, RURAL] = pf
        self.rec["public_funded_not_placed"][i] = npf - pf.sum()
        est = None if inp.establishment is None else inp.establishment[i]
        want = regular_hires(
            self.demand[None, i], self.cnt[None].astype(float), inp.rule, inp.max_hires[i], est
        )[0]
        hires = stochastic_round(want, rng)
        for a in range(AR):
            self._new(hires[:, a], a, inp.hire_age, t)
        self.rec["regular_hires"][i] = hires
        self.rec["regular_hires"][i, :, RURAL] += pf

    # ------------------------------------------------------------------ to need, moves, early retirement
    def _to_need(self, i: int, n: int) -> np.ndarray:
        """Place n teachers (by level, rural) where rural primary and junior are below demand × (1 +
        floor): all of them if there is room, else in proportion to the room (whole teachers)."""
        tl = list(TEGANG_LEVELS)
        room = np.maximum(self.demand[i, tl, RURAL] * (1 + self.inp.surplus_floor) - self.cnt[tl, RURAL], 0.0)
        k = min(n, int(stochastic_round(room.sum(), self.rng)))
        counts = np.zeros(L, dtype=np.int64)
        if k > 0:
            first = min(k, int(stochastic_round(k * room[0] / room.sum(), self.rng)))
            counts[tl[0]], counts[tl[1]] = first, k - first
        return counts

    def _regular(self, level: int, area: int) -> np.ndarray:
        """Indices of the regular teachers (not 特岗 in contract) in post in a cell."""
        n = self.n
        ok = self.active[:n] & (self.level[:n] == level) & (self.area[:n] == area)
        cend = self.cend[:n]
        return np.flatnonzero(ok & ((cend == INF) | (cend <= self.env.now)))

    def _decide(self, now: int, due: int) -> None:
        """Decide at ``now`` the moves of September ``due`` (as the aggregate engine, whole teachers)."""
        inp = self.inp
        pending = self.pipe[now + (1 if due > now else 0) : due].sum(axis=0)
        n, t = self.n, int(self.inp.years[now])
        act = np.flatnonzero(self.active[:n])
        counts = np.zeros((1, L, AR, S, len(self.inp.lam)))
        np.add.at(
            counts[0], (self.level[act], self.area[act], self.sex[act], t - self.born[act] - MIN_AGE), 1.0
        )
        sup = projected_supply(counts, inp.stay, now, due)
        pos = sup - self.demand[due][None]
        pos += np.tensordot(pending, move_incidence(inp.moves), axes=(0, 0))[None]
        reserve = self.demand[due][None] * inp.surplus_floor
        rounding = lambda x: stochastic_round(x, self.rng)  # noqa: E731
        m = decide_moves(pos, inp.moves, inp.redeploy_cap[due], reserve, rounding)[0]
        self.pipe[due] += m
        self.rec["redeployed_decided"][now] += m.sum()

    def _move(self, i: int, t: int) -> None:
        """Make the moves due in September i: teachers chosen at random among the cell's regular ones."""
        for p, (fl, fa, tl, ta) in enumerate(self.inp.moves):
            want = int(self.pipe[i, p])
            if want <= 0:
                continue
            idx = self._regular(fl, fa)
            go = self.rng.choice(idx, size=min(want, len(idx)), replace=False)
            if fa != ta:  # township years start on arrival in a rural school, and stop on leaving one
                self.town[go] = t if ta == RURAL else np.nan
            self.level[go], self.area[go] = tl, ta
            self.cnt[fl, fa] -= len(go)
            self.cnt[tl, ta] += len(go)
            self.rec["redeployed_out"][i, fl, fa] += len(go)
            self.rec["redeployed_in"][i, tl, ta] += len(go)

    def _retire_early(self, i: int, t: int) -> None:
        """In each cell above demand × (1 + floor), min(surplus beyond it, share × eligible) eligible
        regular teachers leave."""
        inp = self.inp
        for lv in range(L):
            for a in range(AR):
                surplus = self.cnt[lv, a] - self.demand[i, lv, a] * (1 + inp.surplus_floor)
                if surplus <= 0:
                    continue
                idx = self._regular(lv, a)
                idx = idx[inp.early_eligible[i, self.sex[idx], t - self.born[idx] - MIN_AGE]]
                k = min(len(idx), int(stochastic_round(min(surplus, inp.early_share * len(idx)), self.rng)))
                if k == 0:
                    continue
                for j in self.rng.choice(idx, size=k, replace=False).tolist():
                    self._leave(j)
                self.rec["early_retirements"][i, lv, a] += k

    def _train_and_record(self, i: int, t: int) -> None:
        inp, rng = self.inp, self.rng
        idx = np.flatnonzero(self.active[: self.n])
        # training places this year, shared at random among the teachers in post
        if len(idx):
            p = min(1.0, inp.training_trainings[i] / len(idx))
            got = idx[rng.random(len(idx)) < p]
            self.hours[got, i] = inp.training_hours[i]
            P = inp.period_years
            lo = np.maximum(self.start[idx], i - P + 1)
            c = np.cumsum(self.hours[idx, : i + 1], axis=1, dtype=float)
            before = np.where(lo > 0, c[np.arange(len(idx)), np.maximum(lo - 1, 0)], 0.0)
            window = c[:, i] - before
            need = inp.required_hours / P * (i - lo + 1)
            self.rec["training_share"][i] = float(np.mean(window >= need - 1e-6))
        rur = idx[self.area[idx] == RURAL]
        tenure = np.clip((t - self.town[rur]).astype(int), 0, len(inp.subsidy_by_tenure) - 1)
        self.rec["subsidy"][i] = inp.subsidy_by_tenure[tenure].sum()
        self.rec["supply"][i] = self.cnt
        self.rec["tegang_in_contract"][i] = self.in_contract


def _base_population(model: CareerModel, inp: SupplyInputs) -> None:
    """Expand the stock table into teachers (fractional counts are rounded stochastically)."""
    tab = inp.stock_table
    t0 = model.t0
    n = stochastic_round(tab["teachers"].to_numpy(dtype=float), model.rng)
    rows = np.repeat(np.arange(len(tab)), n)
    lv = tab["level"].map({v: i for i, v in enumerate(LEVELS)}).to_numpy()[rows].astype(np.int8)
    ar = tab["area"].map({v: i for i, v in enumerate(AREAS)}).to_numpy()[rows].astype(np.int8)
    sx = tab["sex"].map({v: i for i, v in enumerate(SEXES)}).to_numpy()[rows].astype(np.int8)
    age = tab["age"].to_numpy().astype(np.int64)[rows]
    teg = (tab["contract"] == "tegang").to_numpy()[rows]
    hired = np.where(teg, tab["hired"].to_numpy(dtype=float)[rows], np.nan)
    town = np.clip(age - inp.career_start_age, 0, None).astype(
        float
    )  # assumption: township since career start
    town = np.where(teg, t0 - hired, town)  # 特岗: since their contract began
    reg = ~teg
    model.add(lv[reg], ar[reg], sx[reg], age[reg], t0, None, town[reg])
    if teg.any():
        model.add(
            lv[teg],
            ar[teg],
            sx[teg],
            age[teg],
            t0,
            hired[teg] + inp.contract_years - CONTRACT_END_OFFSET,
            town[teg],
        )
        new = hired[teg] == t0
        np.add.at(model.rec["tegang_hires"][0], (lv[teg][new], ar[teg][new]), 1)


def one_draw(inp: SupplyInputs, k: int) -> SupplyInputs:
    """Draw k's own uncertain inputs (arrays carry the draw on axis 0, of size 1 when certain)."""
    from dataclasses import replace

    hires = np.atleast_2d(inp.tegang_hires)
    keep = np.atleast_1d(inp.retention)
    return replace(
        inp, tegang_hires=hires[min(k, hires.shape[0] - 1)], retention=float(keep[min(k, keep.shape[0] - 1)])
    )


def simulate_draw(
    inp: SupplyInputs,
    demand: np.ndarray,
    rng: np.random.Generator,
    env_factory: Callable[[float], simpy.Environment] | None = None,
) -> dict[str, np.ndarray]:
    """One draw of the discrete-event model: records (T, ...) as in ``aggregate_supply`` plus training_share.

    ``demand`` (T, L, 2) is this draw's demand; ``env_factory(start)`` may supply an instrumented
    simpy environment (the benchmark counts events with it).
    """
    inp = one_draw(inp, 0) if np.ndim(inp.tegang_hires) == 2 else inp
    t0 = float(inp.years[0])
    env = env_factory(t0) if env_factory else simpy.Environment(initial_time=t0)
    model = CareerModel(inp, demand, rng, env)
    _base_population(model, inp)
    env.process(model.hiring())
    env.run(until=model.t_end)
    return model.rec


def des_supply(inp: SupplyInputs, ctx: StageContext) -> dict[str, np.ndarray]:
    """The DES engine over the context's draws, each from its own seed: arrays (D, T, ...) like
    ``aggregate_supply``."""
    recs = []
    D = inp.demand.shape[0]
    for k, d in enumerate(ctx.draw_index):
        rng = np.random.default_rng(ctx.seed_sequence(int(d), STREAM))
        recs.append(simulate_draw(one_draw(inp, k), inp.demand[min(k, D - 1)], rng))
    return {key: np.stack([r[key] for r in recs]) for key in recs[0]}
