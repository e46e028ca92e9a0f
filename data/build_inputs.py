"""Builds the default input tables in data/ from the figures in data/SOURCES.md.

Run `python data/build_inputs.py` to rewrite them; the CSVs are committed so a
run never depends on this script. Every constant below names its source; where
no Jilin City table exists, the construction is an assumption stated here and in
data/SOURCES.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import brentq

HERE = Path(__file__).resolve().parent
AGES = np.arange(101)

# ----------------------------------------------------------------- mortality
# Gompertz-Makeham hazard mu(x) = A + B exp(C x) for x >= 1, with infant mortality
# q0 = 5.4 per mille (China 2020, 国家卫健委 2021 卫生健康统计公报) and B chosen so that
# life expectancy at birth is 77.93 (China 2020, same source). A and C are assumptions:
# C = 0.095 is a typical adult mortality slope; A = 0.0002 a small age-independent hazard.
Q0, E0, MAKEHAM_A, GOMPERTZ_C = 0.0054, 77.93, 0.0002, 0.095


def _qx(b: float) -> np.ndarray:
    mu = MAKEHAM_A + b * np.exp(GOMPERTZ_C * (AGES + 0.5))
    q = 1.0 - np.exp(-mu)
    q[0] = Q0
    q[-1] = 1.0
    return q


def _e0(q: np.ndarray) -> float:
    lx = np.concatenate([[1.0], np.cumprod(1.0 - q)[:-1]])
    return float((lx - 0.5 * lx * q).sum())


GOMPERTZ_B = brentq(lambda b: _e0(_qx(b)) - E0, 1e-7, 1e-3)
QX = _qx(GOMPERTZ_B)
LX = np.concatenate([[1.0], np.cumprod(1.0 - QX)[:-1]])


# ---------------------------------------------------------- migration profile
# Rogers-Castro model migration schedule (Rogers & Castro 1981), the "standard"
# parameter set: a childhood component and a labour-force peak near age 22.
# It gives relative rates by age; the model shares each year's net migrants out in
# proportion to rate × population. Assumption: net out-migration from Jilin City
# follows this gross age pattern.
RC = dict(a1=0.02, alpha1=0.10, a2=0.06, alpha2=0.10, mu2=20.0, lam2=0.40, c=0.003)


def migration_profile() -> np.ndarray:
    x = AGES.astype(float)
    m = (
        RC["a1"] * np.exp(-RC["alpha1"] * x)
        + RC["a2"] * np.exp(-RC["alpha2"] * (x - RC["mu2"]) - np.exp(-RC["lam2"] * (x - RC["mu2"])))
        + RC["c"]
    )
    return m / m.sum()


# --------------------------------------------------------------- population
def build_population(groups: dict[tuple[int, int], float], fixed: dict[tuple[int, int], float]) -> np.ndarray:
    """Single years of age from broad-group totals.

    groups: (lo, hi) → persons (covering 0-100); fixed: (lo, hi) → persons for
    ranges set by anchors (split evenly) inside a group. The rest of each group
    is spread evenly over its remaining ages, except 65+, spread in proportion to
    the life table's survivors (a stationary shape; assumption: no Jilin table).
    """
    pop = np.full(101, np.nan)
    for (lo, hi), total in fixed.items():
        pop[lo : hi + 1] = total / (hi - lo + 1)
    for (lo, hi), total in groups.items():
        block = pop[lo : hi + 1]
        free = np.isnan(block)
        rest = total - np.nansum(block)
        if rest < 0:
            raise ValueError(f"anchors exceed the {lo}-{hi} total")
        if lo >= 65:
            w = LX[lo : hi + 1][free]
        elif hi >= 59 and (~free).any():
            # adults: rising linearly from the last anchored cohort (age 17) to a plateau at 45,
            # since the cohorts born 1961-1975 are China's large ones and young adults leave
            # (assumption: no Jilin single-year table was found)
            start = pop[lo : hi + 1][~free][-1]
            ages = np.arange(lo, hi + 1)[free]
            ramp = np.clip((ages - ages[0] + 1) / (45 - ages[0] + 1), 0, 1)
            # level X at the plateau solves start*(1-ramp) + X*ramp summing to `rest`
            x = (rest - start * (1 - ramp).sum()) / ramp.sum()
            w = start * (1 - ramp) + x * ramp
        else:
            w = np.ones(free.sum())
        block[free] = rest * w / w.sum()
        pop[lo : hi + 1] = block
    assert not np.isnan(pop).any()
    return pop


# Jilin City, 2020 census (1 Nov): total 3,623,713; 0-14 10.93 %, 15-59 63.81 %, 60+ 25.25 %,
# 65+ 17.13 % (吉林市第七次全国人口普查公报, as digitised in the leiii/census dataset).
TOTAL_2020 = 3_623_713
SHARES_2020 = {"0-14": 0.1093, "15-59": 0.6381, "60+": 0.2525, "65+": 0.1713}
# Births by calendar year: Jilin City ≈ 14.05 % of Jilin Province's births (city share of the
# province's people 15.05 % × the ratio of child shares 10.93/11.71; estimate). Province births:
# 2018 17.99万 (2018 statistical communiqué), 2019 15.76万 (统计年鉴2021, revised series),
# 2021 11.22万 (2021 communiqué); 2020 interpolated between 2019 and 2021.
CITY_SHARE_OF_BIRTHS = 0.1405
PROVINCE_BIRTHS = {2018: 179_900, 2019: 157_600, 2020: (157_600 + 112_200) / 2, 2021: 112_200, 2024: 97_000}
# The plan's own denominators (专栏1): enrolled / ratio. 2020: 66,000 / 0.925 aged 3-5;
# 80,000 / 0.965 aged 15-17. 2015: 82,000 / 0.779 and 88,000 / 0.963.
PLAN_AGE_3_5 = {2020: 66_000 / 0.925, 2015: 82_000 / 0.779}
PLAN_AGE_15_17 = {2020: 80_000 / 0.965, 2015: 88_000 / 0.963}


def population_2020() -> np.ndarray:
    t = TOTAL_2020
    s = SHARES_2020
    births = {y: CITY_SHARE_OF_BIRTHS * PROVINCE_BIRTHS[y] for y in (2018, 2019, 2020)}
    fixed = {
        (0, 0): births[2020],
        (1, 1): births[2019],
        (2, 2): births[2018],
        (3, 5): PLAN_AGE_3_5[2020],
        (15, 17): PLAN_AGE_15_17[2020],
    }
    groups = {
        (0, 14): t * s["0-14"],
        (15, 59): t * s["15-59"],
        (60, 64): t * (s["60+"] - s["65+"]),
        (65, 100): t * s["65+"],
    }
    return build_population(groups, fixed)


# 2015, for the back-test, from what was known then: total = Jilin City 2010 census 4,414,681
# grown as the province grew to the 2015 1 % survey (27.533 M / 27,452,815 in the 2010 census,
# the latter = 24,073,453 + 3,379,362 from the province's 2020 communiqué); age shares of the
# city's 2010 census (0-14 488,500, 15-64 3,514,444, 65+ 411,737), held (assumption).
TOTAL_2010 = 4_414_681
TOTAL_2015 = TOTAL_2010 * 27_533_000 / 27_452_815
SHARES_2015 = {"0-14": 488_500 / TOTAL_2010, "15-64": 3_514_444 / TOTAL_2010, "65+": 411_737 / TOTAL_2010}


def population_2015() -> np.ndarray:
    t, s = TOTAL_2015, SHARES_2015
    fixed = {(3, 5): PLAN_AGE_3_5[2015], (15, 17): PLAN_AGE_15_17[2015]}
    groups = {(0, 14): t * s["0-14"], (15, 64): t * s["15-64"], (65, 100): t * s["65+"]}
    return build_population(groups, fixed)


# ---------------------------------------------------------------- attainment
CATS = ["none", "primary", "junior", "senior", "junior_college", "bachelor"]
YEARS = np.array([0, 6, 9, 12, 15, 16])
# Ages 6-23: what the base year's school system implies (the 2020 plan figures: primary and
# junior NER 99 %, consolidation 99.27 %, upper-secondary GER 96.5 %) with the baseline's
# transition assumptions (50 % of senior graduates in bachelor's, 40 % in higher vocational
# programmes; 35 % of vocational graduates in higher vocational programmes).
# Ages 24 and 59 are anchor profiles (assumptions): 24-year-olds near the national new
# labour force (mean 13.8 years in 2020, 2020年全国教育事业发展统计公报); 59-year-olds
# (born 1961) mostly junior-educated, as the province's census profile (38 % junior,
# 22 % primary per 100,000 people) suggests for older cohorts. Between them the shares
# move with weight ((59-age)/35)^gamma, gamma calibrated to the plan's working-age mean.
YOUNG_24 = np.array([0.005, 0.01, 0.06, 0.33, 0.28, 0.315])
OLD_59 = np.array([0.03, 0.22, 0.50, 0.20, 0.03, 0.02])


def _young_rows() -> dict[int, np.ndarray]:
    rows = {}
    c_primary, c_junior, c_senior = 0.99, 0.99 * 0.9927, 0.99 * 0.9927 * 0.965 * 0.985
    for age in range(6, 24):
        r = np.zeros(6)
        if age < 12:
            r[0] = 1
        elif age < 15:
            r[[0, 1]] = [1 - c_primary, c_primary]
        elif age < 18:
            r[[0, 1, 2]] = [1 - c_primary, c_primary - c_junior, c_junior]
        else:
            hv = c_senior * 0.40 if age >= 21 else 0.0
            ug = c_senior * 0.50 if age >= 22 else 0.0
            r[[0, 1, 2, 3, 4, 5]] = [
                1 - c_primary,
                c_primary - c_junior,
                c_junior - c_senior,
                c_senior - hv - ug,
                hv,
                ug,
            ]
        rows[age] = r
    return rows


def attainment(pop: np.ndarray, target_mean: float) -> tuple[np.ndarray, float]:
    young = _young_rows()

    def table(gamma: float) -> np.ndarray:
        out = np.zeros((54, 6))
        for age in range(6, 60):
            if age in young:
                out[age - 6] = young[age]
            else:
                w = ((59 - age) / 35) ** gamma
                out[age - 6] = w * YOUNG_24 + (1 - w) * OLD_59
        return out

    def mean16_59(gamma: float) -> float:
        shares = table(gamma)[10:]
        weights = pop[16:60]
        return float((shares @ YEARS * weights).sum() / weights.sum())

    gamma = brentq(lambda g: mean16_59(g) - target_mean, 0.05, 20)
    return table(gamma) * pop[6:60, None], gamma


def main() -> None:
    import pandas as pd

    pd.DataFrame({"age": AGES, "qx": QX.round(7)}).to_csv(HERE / "mortality-2020.csv", index=False)
    pd.DataFrame({"age": AGES, "share": migration_profile().round(8)}).to_csv(
        HERE / "migration-profile.csv", index=False
    )
    for year, pop, mean in ((2020, population_2020(), 10.8), (2015, population_2015(), 9.9)):
        pd.DataFrame({"age": AGES, "persons": pop.round(1)}).to_csv(
            HERE / f"population-{year}.csv", index=False
        )
        table, gamma = attainment(pop, mean)
        df = pd.DataFrame(table.round(1), columns=CATS)
        df.insert(0, "age", np.arange(6, 60))
        df.to_csv(HERE / f"attainment-{year}.csv", index=False)
        print(f"{year}: population {pop.sum():,.0f}; attainment gamma {gamma:.3f} (mean {mean})")
    print(f"mortality: B = {GOMPERTZ_B:.3e}, e0 = {_e0(QX):.2f}")


if __name__ == "__main__":
    main()
