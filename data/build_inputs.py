"""Builds the default input tables in data/ from the figures in data/SOURCES.md.

Run `python data/build_inputs.py` to rewrite them; the CSVs are committed so a
run never depends on this script. Every constant below names its source; where
no Jilin City table exists, the construction is an assumption stated here and in
data/SOURCES.md. It also prints the baseline's calibrated net migration for 2021
(scenarios/baseline.yaml copies it) and the cohort retention between the two base files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq

HERE = Path(__file__).resolve().parent
AGES = np.arange(101)

# ----------------------------------------------------------------- mortality
# Gompertz-Makeham hazard mu(x) = A + B exp(C x) for x >= 1, with infant mortality
# q0 = 5.4 per mille (China 2020, 国家卫健委 2021 卫生健康统计公报). A and C are assumptions:
# C = 0.095 is a typical adult mortality slope; A = 0.0002 a small age-independent hazard.
# The level B is calibrated (calibrate() below) so that the model's crude death rate in its
# year 2021 is Jilin Province's 8.08 per mille (2021 statistical communiqué; the city's own rate
# was not found). Life expectancy at birth follows from B and is printed (China 2020: 77.93).
Q0, MAKEHAM_A, GOMPERTZ_C = 0.0054, 0.0002, 0.095
PROVINCE_CDR_2021 = 0.00808


def _qx(b: float) -> np.ndarray:
    mu = MAKEHAM_A + b * np.exp(GOMPERTZ_C * (AGES + 0.5))
    q = 1.0 - np.exp(-mu)
    q[0] = Q0
    q[-1] = 1.0
    return q


def _e0(q: np.ndarray) -> float:
    lx = np.concatenate([[1.0], np.cumprod(1.0 - q)[:-1]])
    return float((lx - 0.5 * lx * q).sum())


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
def graduate(below: dict[int, float]) -> np.ndarray:
    """Single years of age 0-100 (100 = 100 and over) from cumulative counts.

    below: age x → persons younger than x, at the group boundaries known (0 → 0 and 101 → the
    total included). A monotone cubic (PCHIP, Fritsch-Carlson) through these points is
    differenced at every integer age: every group total is kept exactly, no age is negative,
    and the single-year counts change smoothly across group boundaries (no steps).

    >>> graduate({0: 0, 50: 500, 101: 1010}).round(1)[[0, 49, 50, 100]].tolist()
    [10.0, 10.0, 10.0, 10.0]
    """
    x = np.array(sorted(below), dtype=float)
    c = np.array([below[int(k)] for k in x])
    if x[0] != 0 or x[-1] != 101 or c[0] != 0:
        raise ValueError("cumulative counts must run from age 0 (0 persons) to 101 (the total)")
    if (np.diff(c) < 0).any():
        raise ValueError("cumulative counts must not decrease")
    pop = np.diff(PchipInterpolator(x, c)(np.arange(102.0)))
    assert (pop >= -1e-9).all()
    return np.maximum(pop, 0.0)


# Within the 65+ group the census gives no break. Assumption: Jilin City's 80+ and 100+ hold the
# national 2020 census shares of the 65+ (80+ 3,580万 and 100+ 118,866 of 190,635,280 aged 65+:
# 0.188 and 0.00062; the 65+ count is 七普公报第五号, the 80+ and 100+ counts are the census
# press release as widely reported, not read in a stored copy). Without these the spline puts
# 37 % of the 65+ above 80, twice the national share, and with them too many deaths.
SHARE_80_OF_65 = 0.188
SHARE_100_OF_65 = 0.00062

# Jilin City, 2020 census (1 Nov): total 3,623,713; 0-14 10.93 %, 15-59 63.81 %, 60+ 25.25 %,
# 65+ 17.13 % (吉林市第七次全国人口普查公报, as digitised in the leiii/census dataset). The three
# broad shares sum to 99.99 % (rounding): they are scaled to sum to 100 % so that the table's
# total is the census total.
TOTAL_2020 = 3_623_713
SHARES_2020 = {"0-14": 0.1093, "15-59": 0.6381, "60+": 0.2525, "65+": 0.1713}
# Births by calendar year: Jilin City ≈ 14.05 % of Jilin Province's births (city share of the
# province's people 15.05 % × the ratio of child shares 10.93/11.71; estimate). Province births,
# one series (the census-revised one, 吉林统计年鉴2021/2024 as quoted by hongheiku/psic):
# 2018 15.91万, 2019 15.76万; 2021 11.22万 (2021 communiqué); 2024 9.70万 (2024 communiqué).
# 2020 was not found: it is the mean of 2019 and 2021, (15.76 + 11.22) / 2 = 13.49万, so the
# city's 2020 births are 0.1405 × 134,900 = 18,953 (estimate). (The 2018 bulletin's original
# 17.99万 is on the pre-census basis; the revised series is used for 2018 and 2019 alike.)
CITY_SHARE_OF_BIRTHS = 0.1405
PROVINCE_BIRTHS = {2018: 159_100, 2019: 157_600, 2020: (157_600 + 112_200) / 2, 2021: 112_200, 2024: 97_000}
# The plan's own denominators (专栏1): enrolled / ratio. 2020: 66,000 / 0.925 aged 3-5;
# 80,000 / 0.965 aged 15-17. 2015: 82,000 / 0.779 and 88,000 / 0.963. Ages 3, 4 and 5 are equal
# thirds of their group: the preschool enrolment rates by age (scenarios, students.preschool) are
# calibrated on equal cohorts, and the spline's unequal thirds would move the 2020 enrolment off
# the plan's 66,000 (to 66,064).
PLAN_AGE_3_5 = {2020: 66_000 / 0.925, 2015: 82_000 / 0.779}
PLAN_AGE_15_17 = {2020: 80_000 / 0.965, 2015: 88_000 / 0.963}


def city_births(year: int) -> float:
    return CITY_SHARE_OF_BIRTHS * PROVINCE_BIRTHS[year]


def population_2020() -> np.ndarray:
    """Cumulative counts at the census groups' boundaries and the plan's two denominators.

    Ages 0, 1 and 2 are the city's estimated births of 2020, 2019 and 2018 (the model's own
    convention: its births of year t are age 0 at the count point of year t); infant deaths
    (about 5 per mille) and the migration of infants are left out.
    """
    t = TOTAL_2020
    norm = SHARES_2020["0-14"] + SHARES_2020["15-59"] + SHARES_2020["60+"]
    s = {k: v / norm for k, v in SHARES_2020.items()}
    n65 = t * s["65+"]
    b0, b1, b2 = city_births(2020), city_births(2019), city_births(2018)
    below = {
        0: 0.0,
        1: b0,
        2: b0 + b1,
        3: b0 + b1 + b2,
        4: b0 + b1 + b2 + PLAN_AGE_3_5[2020] / 3,
        5: b0 + b1 + b2 + PLAN_AGE_3_5[2020] * 2 / 3,
        6: b0 + b1 + b2 + PLAN_AGE_3_5[2020],
        15: t * s["0-14"],
        18: t * s["0-14"] + PLAN_AGE_15_17[2020],
        60: t * (s["0-14"] + s["15-59"]),
        65: t - n65,
        80: t - n65 * SHARE_80_OF_65,
        100: t - n65 * SHARE_100_OF_65,
        101: t,
    }
    return graduate(below)


# 2015, for the back-test, from what was known then: total = Jilin City 2010 census 4,414,681
# grown as the province grew to the 2015 1 % survey (27.533 M / 27,452,815 in the 2010 census,
# the latter = 24,073,453 + 3,379,362 from the province's 2020 communiqué); age shares of the
# city's 2010 census (0-14 488,500, 15-64 3,514,444, 65+ 411,737), held (assumption).
# Ages 0-2: no births of 2013-15 for the city; assumption: they hold the same mean per year as
# ages 6-14 (the rest of the 0-14 after the plan's 3-5 denominator, shared by its 12 ages).
TOTAL_2010 = 4_414_681
TOTAL_2015 = TOTAL_2010 * 27_533_000 / 27_452_815
SHARES_2015 = {"0-14": 488_500 / TOTAL_2010, "15-64": 3_514_444 / TOTAL_2010, "65+": 411_737 / TOTAL_2010}


def population_2015() -> np.ndarray:
    t, s = TOTAL_2015, SHARES_2015
    n014, n65 = t * s["0-14"], t * s["65+"]
    n02 = (n014 - PLAN_AGE_3_5[2015]) * 3 / 12
    below = {
        0: 0.0,
        3: n02,
        4: n02 + PLAN_AGE_3_5[2015] / 3,
        5: n02 + PLAN_AGE_3_5[2015] * 2 / 3,
        6: n02 + PLAN_AGE_3_5[2015],
        15: n014,
        18: n014 + PLAN_AGE_15_17[2015],
        65: t - n65,
        80: t - n65 * SHARE_80_OF_65,
        100: t - n65 * SHARE_100_OF_65,
        101: t,
    }
    return graduate(below)


def cohort_retention(p2015: np.ndarray, p2020: np.ndarray) -> np.ndarray:
    """P2020(a + 5) / P2015(a) for a = 0..94: survival and net migration of each cohort."""
    return p2020[5:100] / p2015[:95]


# ------------------------------------------------- calibration: deaths and 2021 migration
# The baseline's first projection year, 2021 (model year = 1 Nov 2020 to 1 Nov 2021), is fitted
# to two published figures at once (docs/methodology.md, "What a year means"):
#   * the crude death rate = deaths / mean population = the province's 8.08 per mille (2021);
#   * the year-end 2021 resident population 354.73万 (吉林省2021年统计公报's table of cities),
#     aligned to the model's count point: year-end(t) = P(t) + 2/12 (P(t+1) - P(t)).
# Births and the migration path are the baseline's (scenarios/baseline.yaml): births 2021
# 15,764, 2022 on the line to 2024's 13,629; net migration linear from 2021 to -30,000 in 2035.
YEAR_END_2021 = 3_547_300
TO_YEAR_END = 2 / 12  # 1 Nov → 31 Dec
BASELINE_BIRTHS = {2021: 0.1405 * 112_200, 2024: 0.1405 * 97_000}
MIGRATION_2035 = -30_000


def _project(pop: np.ndarray, b: float, m2021: float):
    sys.path.insert(0, str(HERE.parent))
    from sim.stages.population import project_account

    years = np.arange(2020, 2023)
    births = np.interp(years, [2021, 2024], [BASELINE_BIRTHS[2021], BASELINE_BIRTHS[2024]])
    births[0] = pop[0]
    migration = np.interp(years, [2021, 2035], [m2021, MIGRATION_2035])
    q = np.broadcast_to(_qx(b), (1, len(years), 101))
    return project_account(pop, births[None], q, migration[None], migration_profile())


def _crude_death_rate(pop: np.ndarray, b: float, m2021: float) -> float:
    acc = _project(pop, b, m2021)
    total = acc.persons[0].sum(axis=1)
    return float(acc.deaths[0, 1] / ((total[0] + total[1]) / 2))


def _year_end_2021(pop: np.ndarray, b: float, m2021: float) -> float:
    total = _project(pop, b, m2021).persons[0].sum(axis=1)
    return float(total[1] + TO_YEAR_END * (total[2] - total[1]))


def calibrate(pop: np.ndarray) -> tuple[float, float]:
    """(Gompertz level B, net migration in 2021) meeting both 2021 targets; they hardly interact."""

    def level(m: float) -> float:
        return brentq(lambda x: _crude_death_rate(pop, x, m) - PROVINCE_CDR_2021, 1e-7, 1e-3, xtol=1e-14)

    def migration(b: float) -> float:
        return brentq(lambda x: _year_end_2021(pop, b, x) - YEAR_END_2021, -300_000, 100_000, xtol=1e-6)

    b, m = 3e-5, -50_000.0
    for _ in range(20):
        b = level(m)
        m, previous = migration(b), m
        if abs(m - previous) < 1e-3:
            break
    return b, m


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


def main(only_population: bool = False) -> None:
    """Write the tables; ``--population`` writes only population-*.csv and mortality-2020.csv."""
    import pandas as pd

    pops = {2020: population_2020(), 2015: population_2015()}
    b, m2021 = calibrate(pops[2020])
    qx = _qx(b)
    pd.DataFrame({"age": AGES, "qx": qx.round(7)}).to_csv(HERE / "mortality-2020.csv", index=False)
    for year, pop in pops.items():
        pd.DataFrame({"age": AGES, "persons": pop.round(1)}).to_csv(
            HERE / f"population-{year}.csv", index=False
        )
        print(f"{year}: population {pop.sum():,.0f}; age 0 {pop[0]:,.0f}")
    print(
        f"mortality: B = {b:.4e}, e0 = {_e0(qx):.2f}, crude death rate 2021 = "
        f"{1000 * _crude_death_rate(pops[2020], b, m2021):.2f} per mille"
    )
    print(f"baseline net migration 2021 (scenarios/baseline.yaml): {m2021:,.0f}")
    ratios = cohort_retention(pops[2015], pops[2020])
    print("cohort retention P2020(a+5)/P2015(a), a = 0..", len(ratios) - 1)
    print(np.array2string(ratios.round(3), max_line_width=100))
    if only_population:
        return
    pd.DataFrame({"age": AGES, "share": migration_profile().round(8)}).to_csv(
        HERE / "migration-profile.csv", index=False
    )
    for year, mean in ((2020, 10.8), (2015, 9.9)):
        table, gamma = attainment(pops[year], mean)
        df = pd.DataFrame(table.round(1), columns=CATS)
        df.insert(0, "age", np.arange(6, 60))
        df.to_csv(HERE / f"attainment-{year}.csv", index=False)
        print(f"{year}: attainment gamma {gamma:.3f} (mean {mean})")


if __name__ == "__main__":
    main(only_population="--population" in sys.argv[1:])
