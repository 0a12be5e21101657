"""Owns the synthetic example datasets: seeded, England-shaped tables that the two shipped policies evaluate."""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import tempfile
from pathlib import Path
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from policyc.backend.compile import Compiled, compile_file
from policyc.data.table import load_text
from policyc.ir import nodes as ir

SEED = 20250401
HERE = Path(__file__).resolve().parent
POLICIES = HERE.parent / "policies"
OVERSIGHT = POLICIES / "oversight_2025.policy"
PERFORMANCE = POLICIES / "performance_2009.policy"
ENGLAND_FILE = "england_synthetic.csv"
PERFORMANCE_FILE = "performance_2009_synthetic.csv"
KEYS = ["org", "org_name", "org_type", "period"]
NORMAL = NormalDist()


# ---------------------------------------------------------------- populations


class Kind(NamedTuple):
    letter: str  # the org code is SYN + letter + number
    title: str
    digits: int


KINDS = {
    "icb": Kind("I", "Integrated Care Board", 2),
    "acute": Kind("A", "Acute Trust", 3),
    "mental_health": Kind("M", "Mental Health Trust", 2),
    "community": Kind("C", "Community Trust", 2),
    "ambulance": Kind("S", "Ambulance Service Trust", 2),  # S: A is taken by acute trusts
}
# England in 2025/26: 42 ICBs and the trusts of NHS England's oversight league tables.
ENGLAND = {"icb": 42, "acute": 134, "mental_health": 36, "community": 14, "ambulance": 10}
ENGLAND_PERIODS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")
# The 2009 framework's scope: NHS (not foundation) acute and ambulance trusts, from April 2009.
PERFORMANCE_ORGS = {"acute": 120, "ambulance": 12}
PERFORMANCE_PERIODS = ("2009Q1", "2009Q2", "2009Q3", "2009Q4", "2010Q1", "2010Q2")

# An organisation's standing is a lasting part plus a part that drifts from quarter to quarter (AR(1)),
# so that good and bad runs last several quarters, as escalation rules expect.
LASTING = 0.85
DRIFT = 0.7
# Of the part of a metric that its organisation's standing does not explain, the share that is the
# organisation's lasting standing on that metric alone (a trust good at cancer but poor at A&E).
OWN = 0.6
# Suppressed or unreported metric values, left empty at random.
MISSING = 0.015


class Population(NamedTuple):
    codes: list[str]
    names: list[str]
    types: np.ndarray  # each organisation's org type
    periods: tuple[str, ...]
    strength: np.ndarray  # (organisations, periods), each value standard normal

    @property
    def year_start(self) -> np.ndarray:
        """Each period's first period of its financial year (`2025Q3` is 2025/26), for figures published yearly."""
        years = [p[:4] for p in self.periods]
        return np.array([years.index(year) for year in years])


def population(rng: np.random.Generator, counts: dict[str, int], periods: tuple[str, ...]) -> Population:
    """`counts` organisations of each org type, numbered from 1, each with its standing in each period."""
    codes, names, types = [], [], []
    for org_type, count in counts.items():
        kind = KINDS[org_type]
        for number in range(1, count + 1):
            codes.append(f"SYN{kind.letter}{number:0{kind.digits}d}")
            names.append(f"Synthetic {kind.title} {number:0{kind.digits}d}")
            types.append(org_type)
    n, t = len(codes), len(periods)
    drift = np.empty((n, t))
    drift[:, 0] = rng.standard_normal(n)
    for q in range(1, t):
        drift[:, q] = DRIFT * drift[:, q - 1] + math.sqrt(1 - DRIFT**2) * rng.standard_normal(n)
    strength = LASTING * rng.standard_normal(n)[:, None] + math.sqrt(1 - LASTING**2) * drift
    return Population(codes, names, np.array(types), periods, strength)


def weakest(pop: Population, rows: np.ndarray, count: int) -> np.ndarray:
    """The `count` organisations among `rows` (a mask) that are weak in every period, weakest first.

    Ranked by their best standing over the periods, so that one bad quarter does not make an organisation weak.
    """
    candidates = np.flatnonzero(rows)
    order = np.argsort(pop.strength[candidates].max(axis=1), kind="stable")
    return candidates[order[:count]]


def latent(rng: np.random.Generator, strength: np.ndarray, loading: float) -> np.ndarray:
    """A standard normal draw per organisation and period, `loading` of it the organisation's standing."""
    n, t = strength.shape
    noise = math.sqrt(OWN) * rng.standard_normal((n, 1)) + math.sqrt(1 - OWN) * rng.standard_normal((n, t))
    return loading * strength + math.sqrt(1 - loading**2) * noise


def rated(z: np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    """Positions on a scale, best first, cut from standard normal `z` so that each label gets about its share."""
    cuts = [NORMAL.inv_cdf(1 - sum(shares[: k + 1])) for k in range(len(shares) - 1)]
    return sum((z < cut).astype(float) for cut in cuts)


# ---------------------------------------------------------------- metric levels


# System figures that the population served drives more than the ICB's own running (and that Table 7's
# system tests read, so that the tests an ICB fails are not all the same test five times over).
POPULATION = 0.3


class Spec(NamedTuple):
    """How a metric's values are drawn: level + spread * z, clipped to [lo, hi] and rounded to `decimals`.

    shape "log": level is the median and spread the sd of the log (skewed figures: waits, rates of harm);
    "count": a Poisson count around such a log-normal mean (small numbers of events).
    annual: one value per financial year (surveys, plans, ratings published once a year).
    """

    level: float
    spread: float
    lo: float
    hi: float
    decimals: int
    shape: str = "normal"
    loading: float = 0.5
    annual: bool = False


class Rated(NamedTuple):
    """A metric that is a label of a scale: the share of each label, best first."""

    shares: tuple[float, ...]
    loading: float = 0.5
    annual: bool = False


# One entry per metric of both policies; a dict gives levels by org type where they differ in the
# published figures. Where no national series exists for a metric's definition, the level is an
# assumption and says so. Percentages to 1 decimal, rates and scores to 2, counts whole: the precision
# of NHS England's and NHS Digital's publications.
SPECS: dict[str, Spec | Rated | dict[str, Spec]] = {
    # ------------------------------------------------ oversight_2025: elective care
    # Waiting list: 7.6m (Sep 2024) to 7.4m (mid 2025), about -2% a year; ICBs vary widely.
    "waiting_list_change": Spec(-2.0, 4.0, -20, 20, 1, loading=POPULATION),
    # RTT 18 weeks: 59-61% nationally in 2025 (RTT statistics); trusts from about 45% to 75%.
    "rtt_18_weeks": Spec(60.0, 6.5, 30, 95, 1),
    # Over 52 weeks: about 2.5% of the waiting list in 2025 (190k of 7.4m), skewed; target 1% by March 2026.
    "rtt_52_weeks": Spec(1.8, 0.7, 0, 15, 1, shape="log"),
    # List size / weekly clock stops: 7.4m / ~330k, about 22-25 weeks.
    "waiting_list_clearance": Spec(24.0, 0.25, 8, 60, 1, shape="log"),
    # ------------------------------------------------ cancer care
    # Stage 1-2 at diagnosis: 58-59% (NDRS rapid cancer registration data).
    "cancer_early_stage": Spec(58.5, 2.5, 45, 70, 1, loading=POPULATION),
    # Faster diagnosis standard: 77.1% mean, sd 6.0 across acute trusts in the published Q3 2025/26 data.
    "cancer_28_days": Spec(77.5, 5.5, 50, 98, 1),
    # 62-day standard: 71.3% mean, sd 8.4 in the published Q3 2025/26 data.
    "cancer_62_days": Spec(71.5, 7.5, 40, 98, 1),
    # ------------------------------------------------ urgent and emergency care
    # Emergency bed days per 100,000 a year: about 28m non-elective bed days for 57m people (HES).
    "uec_bed_days": Spec(50000.0, 6000.0, 30000, 80000, 0, loading=POPULATION),
    # Four hours: 75-76% nationally in 2025 (A&E attendances); type 1 trusts from about 60% to 90%.
    "ae_4_hours": Spec(75.5, 6.5, 50, 100, 1),
    # Over 12 hours in the department: 8-10% of type 1 attendances in 2025, skewed.
    "ae_12_hours": Spec(8.5, 0.45, 0, 35, 1, shape="log"),
    # Category 2 mean: 28-36 minutes by month in 2025 (AQI); target 30 minutes for the year.
    "cat2_response": Spec(32.0, 5.0, 18, 60, 1),
    # ------------------------------------------------ learning disability and autism; mental health
    # Inpatients with a learning disability or autism: about -5% a year towards the national reduction goal.
    "ld_autism_inpatients_change": Spec(-5.0, 10.0, -50, 50, 1),
    # Published Q3 2025/26 data: 24.5% of adult discharges after over 60 days, sd 6.5.
    "mh_los_60_days": Spec(24.5, 6.5, 5, 50, 1),
    # Mental health bed days per 100,000 a year: about 7.7m bed days for 57m people (MHSDS).
    "mh_bed_days": Spec(13000.0, 2500.0, 6000, 25000, 0, loading=POPULATION),
    # ------------------------------------------------ primary care
    # Urgent dental appointments: assumed growth of about 5% a year (the 2025/26 plan adds 700,000).
    "dental_urgent_growth": Spec(5.0, 8.0, -30, 40, 1),
    # GP Patient Survey 2025: 75% describe their experience of their practice as good.
    "gp_experience": Spec(74.5, 3.5, 60, 90, 1, loading=POPULATION),
    # ------------------------------------------------ finance and productivity
    # Planned surplus/deficit, % of income: published Q3 2025/26 acute median -1.6% with many plans at
    # exactly breakeven (see BREAKEVEN); mental health and community trusts +0.3%, sd 0.8. Set milder, so
    # that about 40% of trusts are in_deficit (acute 46%), where the published Q3 data flags 78% of acute
    # trusts: a dataset in which most acute trusts are capped at segment 3 would show little else.
    "planned_surplus_deficit": {
        "icb": Spec(0.1, 0.9, -6, 3, 2, annual=True),
        "acute": Spec(-0.6, 1.8, -10, 3, 2, annual=True),
        "mental_health": Spec(0.4, 0.8, -4, 3, 2, annual=True),
        "community": Spec(0.4, 0.8, -4, 3, 2, annual=True),
        "ambulance": Spec(0.2, 0.7, -4, 3, 2, annual=True),
    },
    # Variance to plan, % of income: published Q3 acute mean -1.1%, median -0.2%; others slightly ahead.
    "variance_to_plan": {
        "icb": Spec(-0.2, 0.7, -6, 3, 2),
        "acute": Spec(-0.5, 1.2, -8, 3, 2),
        "mental_health": Spec(0.3, 0.5, -3, 3, 2),
        "community": Spec(0.3, 0.5, -3, 3, 2),
        "ambulance": Spec(0.1, 0.5, -3, 3, 2),
    },
    # Assumed: a 1-5 assessment of confidence in the plan (no published scale), most organisations at 3.
    "financial_plan_confidence": Spec(3.2, 0.9, 1, 5, 0),
    # Implied productivity growth: published Q3 2025/26 acute mean 2.5%, sd 4.0.
    "productivity": Spec(2.5, 3.5, -15, 15, 1),
    # Assumed: costs within about +-10% of comparable organisations (reference costs' spread).
    "relative_cost": Spec(0.0, 6.0, -25, 25, 1),
    # ------------------------------------------------ outcomes
    # Healthy life expectancy at birth: about 61.5 years, 52-71 across areas (ONS 2020-22).
    "healthy_life_years": Spec(61.5, 2.5, 50, 72, 1),
    # Assumed: VTE deaths within 90 days of discharge per 100,000 population (no published series).
    "vte_deaths": Spec(40.0, 6.0, 15, 70, 2),
    # Assumed: about 6% of deaths follow three or more emergency admissions in the last 90 days of life.
    "end_of_life_admissions": Spec(6.5, 0.9, 3, 12, 1),
    # ASCOF 2B(1): 82-83% of over 65s at home 91 days after discharge to reablement.
    "home_91_days": Spec(82.5, 4.0, 65, 95, 1),
    # Emergency readmissions within 30 days: about 14-15% (NHS Outcomes Framework 3b).
    "readmissions_30_days": Spec(14.5, 1.5, 7, 22, 1),
    # SHMI: 1.00 by construction, trusts from about 0.7 to 1.2; NHS Digital publishes 4 decimals.
    "shmi": Spec(1.0, 0.09, 0.65, 1.3, 4, loading=0.5),
    # Assumed: about a day between planned and actual discharge dates, skewed.
    "discharge_delay_days": Spec(1.2, 0.35, 0.1, 5, 2, shape="log"),
    # Assumed: community beds occupied by patients without criteria to reside, about 15%.
    "no_criteria_to_reside": Spec(15.0, 5.0, 2, 40, 1),
    # Incidents not conveyed to hospital (hear and treat, see and treat): about 40-45% (AQI 2025).
    "ambulance_non_conveyance": Spec(42.0, 4.0, 25, 60, 1),
    # NHS Talking Therapies reliable recovery: about 48% (target 48%).
    "talking_therapies_recovery": Spec(48.0, 3.5, 35, 60, 1),
    # MMR2 by age 5: 83.9% in 2024/25 (COVER).
    "mmr_two_doses": Spec(84.0, 4.0, 65, 95, 1),
    # ------------------------------------------------ prevention of ill health
    # Screening coverage: cervical 68.8%, breast about 70%, bowel about 72% (Fingertips 2024).
    "cervical_screening": Spec(68.5, 3.5, 55, 80, 1),
    "breast_screening": Spec(69.5, 4.0, 50, 82, 1),
    "bowel_screening": Spec(71.5, 3.0, 60, 80, 1),
    # Assumed: about half of pregnant smokers supported to quit (no published series).
    "smoking_pregnancy": Spec(50.0, 12.0, 10, 95, 1),
    # Assumed: about 45% of smoking inpatients referred to tobacco dependence services.
    "smoking_inpatients": Spec(45.0, 12.0, 5, 95, 1),
    # Assumed: a few per cent of eligible patients on weight management programmes.
    "obesity_programmes": Spec(3.5, 0.35, 0.5, 12, 1, shape="log"),
    # CVDPREVENT: about 62% of patients at high cardiovascular risk on lipid lowering therapy.
    "lipid_lowering": Spec(62.0, 3.5, 50, 75, 1),
    # Frontline healthcare worker flu vaccination: about 38% in 2024/25 (UKHSA).
    "staff_flu_vaccination": Spec(38.0, 8.0, 15, 75, 1, annual=True),
    # Over six weeks for a diagnostic test: about 20% in 2025 (DM01).
    "diagnostics_6_weeks": Spec(20.0, 7.0, 1, 60, 1),
    # ------------------------------------------------ long term conditions
    # CVDPREVENT: about 68% of hypertension patients treated to target.
    "hypertension_to_target": Spec(68.0, 3.0, 55, 80, 1),
    # National Diabetes Audit: about 55-58% receive all eight care processes.
    "diabetes_care_processes": Spec(56.0, 6.0, 35, 75, 2),
    # ------------------------------------------------ patient safety
    # Staff survey "raising concerns" (0-10): published Q3 2025/26 acute 6.41 (sd 0.29), mental health
    # and community 6.94 (sd 0.19), the ambulance trust 5.76; ICBs assumed near mental health trusts.
    "staff_raising_concerns": {
        "icb": Spec(6.8, 0.25, 5.5, 8, 2, annual=True),
        "acute": Spec(6.41, 0.29, 5.2, 7.6, 2, annual=True),
        "mental_health": Spec(6.94, 0.19, 6, 7.8, 2, annual=True),
        "community": Spec(6.94, 0.19, 6, 7.8, 2, annual=True),
        "ambulance": Spec(5.9, 0.25, 5, 7, 2, annual=True),
    },
    # CQC safe ratings, best first: outstanding, good, requires improvement, inadequate.
    "cqc_safe": Rated((0.05, 0.60, 0.30, 0.05), annual=True),
    # Assumed: new inpatient hip fractures per 100,000 occupied bed days, about 1 (NAIF order of magnitude).
    "hip_fractures": Spec(1.0, 0.4, 0, 4, 2, shape="log"),
    # Assumed: new pressure ulcers (category 2+) per 1,000 occupied bed days, about 1.
    "pressure_ulcers": Spec(1.0, 0.35, 0.1, 4, 2, shape="log"),
    # MRSA: NHS England publishes a case count (OF0020): published Q3 median 3, p95 about 10.
    "mrsa_rate": Spec(3.0, 0.6, 0, 30, 0, shape="count", loading=0.3),
    # C. difficile and E. coli per 1,000 bed days: published Q3 medians 1.11 and 1.17, right skewed.
    "cdiff_rate": Spec(1.11, 0.3, 0.2, 4, 2, shape="log", loading=0.4),
    "ecoli_rate": Spec(1.17, 0.21, 0.4, 3, 2, shape="log", loading=0.4),
    # Assumed: about a quarter of children prescribed an antibiotic in a year.
    "antibiotics_children": Spec(24.0, 3.0, 12, 36, 1),
    # MBRRACE: stillbirths (3.3) and neonatal deaths (1.6) per 1,000 total births.
    "neonatal_deaths_stillbirths": Spec(5.0, 0.7, 2.5, 8, 2),
    # ------------------------------------------------ patient experience
    # GP Patient Survey: about 35% see their preferred professional always or mostly.
    "preferred_professional": Spec(35.0, 4.0, 20, 55, 1, annual=True),
    # Continuing Healthcare: standard 80% of referrals within 28 days; many ICBs meet it, some far from it.
    "chc_28_days": Spec(80.0, 10.0, 30, 100, 1),
    # Assumed: percent of inpatients rating their care 7 or more of 10, about 82% (CQC inpatient survey).
    "inpatient_survey": Spec(82.0, 3.0, 70, 92, 1, annual=True),
    # CQC maternity survey section scores (0-10): about 8.2.
    "maternity_survey": Spec(8.2, 0.25, 7.2, 9.2, 2, annual=True),
    # Assumed: restrictive interventions per 1,000 occupied bed days, about 20, skewed (MHSDS).
    "restrictive_interventions": Spec(20.0, 0.5, 2, 120, 2, shape="log"),
    # Assumed: about 2% of community waits over 52 weeks, skewed (community health services waiting lists).
    "community_52_weeks": Spec(2.0, 0.8, 0, 20, 1, shape="log"),
    # Assumed: direct access diagnostic tests growing about 8% a year.
    "gp_direct_diagnostics": Spec(8.0, 10.0, -30, 50, 1),
    # Assumed: about two thirds of urgent crisis referrals seen face to face within 24 hours.
    "crisis_24_hours": Spec(65.0, 12.0, 20, 100, 1),
    # Assumed: community mental health access for people with serious mental illness growing about 5%.
    "cmh_smi_access_change": Spec(5.0, 8.0, -25, 40, 1),
    # Assumed: mental health patients over 12 hours in A&E per trust and quarter, median 35 (RCEM reports).
    "mh_ae_12_hours": Spec(35.0, 0.7, 0, 400, 0, shape="count"),
    # Open suspected autism referrals waiting over 13 weeks: about 89% nationally (NHS England 2025).
    "autism_13_weeks": Spec(85.0, 6.0, 30, 100, 1),
    # ------------------------------------------------ workforce
    # Leavers in 12 months: about 8-12% of NHS trust staff (NHS workforce statistics); ICBs higher while
    # they restructure.
    "staff_leavers": {
        "icb": Spec(13.0, 2.5, 5, 25, 1),
        "acute": Spec(9.5, 1.5, 5, 16, 1),
        "mental_health": Spec(10.5, 1.6, 5, 18, 1),
        "community": Spec(11.0, 1.6, 5, 18, 1),
        "ambulance": Spec(10.0, 1.8, 5, 18, 1),
    },
    # GPs leaving in 12 months: about 9%.
    "gp_leavers": Spec(9.0, 1.5, 4, 16, 1),
    # Sickness absence: about 4.9% in acute, 5.4% in mental health and community, 6.5% in ambulance
    # trusts (NHS sickness absence rates 2024); ICB office staff assumed lower.
    "sickness_absence": {
        "icb": Spec(3.0, 0.6, 1, 6, 1),
        "acute": Spec(4.9, 0.5, 3, 7.5, 1),
        "mental_health": Spec(5.4, 0.5, 3.5, 8, 1),
        "community": Spec(5.4, 0.5, 3.5, 8, 1),
        "ambulance": Spec(6.5, 0.7, 4, 10, 1),
    },
    # Staff survey engagement (0-10): published Q3 2025/26 acute 6.86 (sd 0.27), mental health and community
    # 7.17 (sd 0.13); ambulance trusts lowest (about 6.0; the one published, 5.73); ICBs assumed about 7.0.
    "staff_engagement": {
        "icb": Spec(7.0, 0.2, 6, 8, 2, annual=True),
        "acute": Spec(6.86, 0.27, 6, 7.7, 2, annual=True),
        "mental_health": Spec(7.17, 0.15, 6.5, 7.8, 2, annual=True),
        "community": Spec(7.17, 0.15, 6.5, 7.8, 2, annual=True),
        "ambulance": Spec(6.0, 0.25, 5.2, 6.8, 2, annual=True),
    },
    # Assumed: National Education and Training Survey, about 75% satisfied.
    "nets_satisfaction": Spec(75.0, 5.0, 55, 92, 1, annual=True),
    # Staff survey "we are always learning" (0-10): about 5.9.
    "staff_always_learning": Spec(5.9, 0.25, 5, 7, 2, annual=True),
    # ------------------------------------------------ reducing inequality
    # Assumed: preterm birth rate gap, most v least deprived, about 2 percentage points.
    "preterm_births_gap": Spec(2.0, 0.6, 0, 5, 1),
    # Assumed: early diagnosis gap, most v least deprived, about 6 percentage points.
    "early_diagnosis_gap": Spec(6.0, 2.0, 0, 14, 1),
    # Assumed: MI and stroke admissions gap per 100,000, most v least deprived, about 150.
    "mi_stroke_gap": Spec(150.0, 40.0, 20, 320, 1),
    # SMI physical health checks: about 58% (target 60%); learning disability health checks: about 80%.
    "smi_health_checks": Spec(58.0, 8.0, 30, 85, 1),
    "ld_health_checks": Spec(80.0, 6.0, 55, 95, 1),
    # Over 65s attending type 1 emergency departments who are admitted: about half.
    "ed_over_65_admitted": Spec(52.0, 6.0, 30, 75, 1),
    # Under 18s attending emergency departments who are admitted: about 11%.
    "ed_under_18_admitted": Spec(11.0, 3.0, 3, 25, 1),
    # Assumed: children's elective activity growing about 3% a year.
    "cyp_elective_growth": Spec(3.0, 6.0, -20, 30, 1),
    # Assumed: over 65s discharged after more than 90 days, per mental health trust, median 12.
    "mh_over_65_los_90_days": Spec(12.0, 0.6, 0, 80, 0, shape="count"),
    # Assumed: children and young people accessing mental health services growing about 5%.
    "cyp_mh_access_change": Spec(5.0, 7.0, -20, 35, 1),
    # ------------------------------------------------ performance_2009: user experience
    # Adult inpatient survey 2009, PSA 19 composites (0-100): national means 67-84 by domain, trusts
    # within about +-5. Published once a year, and the survey moves with the trust's standing.
    "ux_access_waiting": Spec(79.0, 4.0, 60, 95, 1, loading=0.7, annual=True),
    "ux_safe_coordinated": Spec(70.0, 3.5, 55, 85, 1, loading=0.7, annual=True),
    "ux_information_choice": Spec(70.0, 3.5, 55, 85, 1, loading=0.7, annual=True),
    "ux_relationships": Spec(79.0, 3.0, 65, 92, 1, loading=0.7, annual=True),
    "ux_clean_friendly": Spec(78.0, 3.5, 62, 92, 1, loading=0.7, annual=True),
    "ux_overall_care": Spec(76.0, 4.0, 60, 92, 1, loading=0.7, annual=True),
    "ux_dignity_respect": Spec(79.0, 3.5, 62, 94, 1, loading=0.7, annual=True),
    "ux_confidence_staff": Spec(78.0, 3.5, 62, 94, 1, loading=0.7, annual=True),
    # ------------------------------------------------ finance (FIMS, year to date)
    # 2009/10 was a year of surpluses: most trusts planned a small surplus (about 0.5-1% of turnover),
    # a tail planned a deficit (which caps Finance at under review).
    "planned_outturn": Spec(0.9, 0.8, -6, 4, 1, annual=True),
    # Year-to-date and forecast against plan, % of turnover: most trusts near plan, a tail behind it.
    "ytd_operating_vs_plan": Spec(0.2, 0.8, -8, 4, 1),
    "forecast_vs_plan": Spec(0.2, 0.6, -8, 4, 1),
    # EBITDA against plan, %: most trusts within 10% of plan.
    "ytd_ebitda_vs_plan": Spec(101.0, 5.0, 60, 130, 1),
    "forecast_ebitda_vs_plan": Spec(101.0, 4.0, 60, 130, 1),
    # Underlying position, % of turnover: mostly small surpluses.
    "underlying_position": Spec(0.6, 1.0, -8, 5, 1),
    # EBITDA margin: about 5-7% of turnover for NHS trusts in 2009.
    "ebitda_margin": Spec(5.5, 1.8, -4, 12, 1),
    # Better Payment Practice Code: about 85-95% of invoices by value and a little less by number.
    "bppc_value": Spec(89.0, 5.0, 50, 100, 1),
    "bppc_volume": Spec(84.0, 7.0, 40, 100, 1),
    # Current ratio: about 1.0-1.3 for NHS trusts in 2009.
    "current_ratio": Spec(1.1, 0.25, 0.3, 2.5, 2),
    # Debtor days about 20-30, creditor days about 35-45, skewed.
    "debtor_days": Spec(24.0, 0.3, 5, 120, 0, shape="log"),
    "creditor_days": Spec(40.0, 0.25, 10, 120, 0, shape="log"),
    # ------------------------------------------------ operational standards (year to date)
    # A&E four hours, 2009/10: 98% target met nationally; most trusts 96-99.5%.
    "ae_4hr": Spec(98.0, 1.0, 88, 100, 1),
    # RTT 2009/10: admitted about 90-93% (target 90%), non-admitted about 96-98% (target 95%).
    "rtt_admitted": Spec(91.5, 2.5, 70, 100, 1),
    "rtt_non_admitted": Spec(97.0, 1.5, 85, 100, 1),
    # Cancer 2009/10: two weeks about 93-97% (target 93%), 31 days 97-99% (96%), 62 days 85-90% (85%).
    "cancer_2ww": Spec(94.8, 2.0, 80, 100, 1),
    "cancer_31d": Spec(98.0, 1.2, 88, 100, 1),
    "cancer_62d": Spec(87.5, 3.0, 65, 100, 1),
    # MRSA and C. difficile year to date as % of trajectory: small numbers, so mostly chance; most
    # trusts within trajectory in 2009/10 (national cases fell well below the targets).
    "mrsa": Spec(75.0, 0.35, 0, 300, 0, shape="log", loading=0.3),
    "cdiff": Spec(82.0, 0.22, 10, 250, 0, shape="log", loading=0.3),
    # Ambulance Category A, 2009/10: 8 minutes about 74-78% (target 75%), 19 minutes about 95-97% (95%).
    "cat_a_8min": Spec(76.0, 1.6, 65, 85, 1),
    "cat_a_19min": Spec(96.0, 1.0, 88, 100, 1),
    # Category B within 19 minutes (target 95%): drawn about the target, with a tail below it.
    "cat_b_19min": Spec(95.5, 1.5, 85, 100, 1),
}

# Metrics added to a policy after the files were first made, each drawn from a stream of its own so
# that every column drawn after it keeps its values.
OWN_STREAM = frozenset({"cat_b_19min"})

# NHS plans are agreed at breakeven, so a large share of organisations report exactly 0.00: figures
# within this distance of 0 are reported as 0 (published Q3 2025/26: the acute 75th centile of
# planned surplus/deficit is 0.00, the mental health and community median 0.00).
BREAKEVEN = {"planned_surplus_deficit": 0.5, "variance_to_plan": 0.15}


# ---------------------------------------------------------------- inputs and judgements

# oversight_2025: organisations planning breakeven only with deficit support are in deficit too; about
# one in ten acute trusts in the published Q3 data.
DEFICIT_SUPPORT = -1.0  # standing below which a breakeven plan relies on deficit support
RSP_SHARE = 0.02  # the weakest organisations of each type, in the Recovery Support Programme
# ICB system tests (Table 7): the ICB metric that answers each (the nearest one the ICB reports), and
# the share of ICBs in its worst tail. The elective and cancer tests ask for the lowest quartile in each
# month of the quarter, which fewer ICBs meet than the quartile of one quarter's figure; UEC tier one
# is for the most challenged systems only.
SYSTEM_TESTS = {
    "sys_uec_tier_one": ("uec_bed_days", 0.15),
    "sys_elective_lowest_quartile": ("waiting_list_change", 0.12),
    "sys_cancer_lowest_quartile": ("cancer_early_stage", 0.12),
    "sys_gp_satisfaction_lowest_quartile": ("gp_experience", 0.25),
    "sys_mh_out_of_area_highest_quartile": ("mh_bed_days", 0.25),
}

# performance_2009: Standards for Better Health declarations (2008/09: most trusts fully compliant) and
# HCAI registration (April 2009: about 1 in 20 trusts registered with conditions), best first.
SFBH_SHARES = (0.86, 0.12, 0.02)
HCAI_SHARES = (0.95, 0.05)
DECLARED = 0.6  # how closely a trust's declarations and registration follow its standing
MAJOR_FAILING = 0.01  # share of rows; weaker trusts more likely
# The weakest trusts underperforming in each of the first three quarters (which starts the discussion
# with the Department) are designated Challenged from the fourth.
DESIGNATED = 2
DESIGNATED_FROM = 3
GAP_PERIOD = 3  # the quarter (2009Q4) that one trust, underperforming either side of it, did not return


# Contextual metrics are read, not scored, so the compiled policy keeps no direction for them: the
# policy's own (`lower is better` for each of these).
CONTEXTUAL_HIGHER = {"preterm_births_gap": False, "early_diagnosis_gap": False, "mi_stroke_gap": False}


def directions(program: ir.Program) -> dict[str, bool]:
    """Whether a higher value is better, for each metric that is a number."""
    return CONTEXTUAL_HIGHER | {
        d.metric: higher_is_better(d.scoring)
        for d in program.decls
        if isinstance(d, ir.Score) and not isinstance(d.scoring, ir.Mapped)
    }


def higher_is_better(scoring: ir.Scoring) -> bool:
    """Whether a scoring model rewards higher values."""
    if isinstance(scoring, ir.Ranked):
        return scoring.higher
    if isinstance(scoring, ir.Relative):
        return scoring.below  # failing below the cohort mean
    if isinstance(scoring, ir.Bands):
        top = next(b.result for b in scoring.rows if b.upper is None)
        bottom = next(b.result for b in scoring.rows if b.lower is None)
        return top > bottom
    raise ValueError(f"no direction for {scoring}")


def applies(program: ir.Program, column: ir.Column, pop: Population) -> np.ndarray:
    """Which organisations a column applies to, as a mask."""
    return np.isin(pop.types, [program.org_types[i] for i in column.applies])


def spec_for(name: str, org_type: str) -> Spec | Rated:
    """How metric `name` is drawn for organisations of `org_type`."""
    entry = SPECS[name]
    return entry[org_type] if isinstance(entry, dict) else entry


def draw_metrics(rng: np.random.Generator, program: ir.Program, pop: Population) -> dict[str, np.ndarray]:
    """Every metric of `program` for every organisation and period, NaN where it does not apply.

    A number as drawn; a scale's label as its position (best first).
    """
    higher = directions(program)
    out = {}
    for column in program.columns:
        if column.kind != "metric":
            continue
        values = np.full(pop.strength.shape, np.nan)
        mask = applies(program, column, pop)
        stream = rng.spawn(1)[0] if column.name in OWN_STREAM else rng
        for org_type in dict.fromkeys(pop.types[mask]):
            rows = pop.types == org_type
            spec = spec_for(column.name, org_type)
            z = latent(stream, pop.strength[rows], spec.loading)
            if spec.annual:
                z = z[:, pop.year_start]
            if isinstance(spec, Rated):
                values[rows] = rated(z, spec.shares)
            else:
                values[rows] = shaped(stream, spec, z if higher[column.name] else -z)
        if column.name in BREAKEVEN:
            values[np.abs(values) < BREAKEVEN[column.name]] = 0.0
        out[column.name] = values
    return out


def shaped(rng: np.random.Generator, spec: Spec, z: np.ndarray) -> np.ndarray:
    """Values of a number metric from its standard normal draws `z` (oriented: higher z is better)."""
    if spec.shape == "log":
        values = spec.level * np.exp(spec.spread * z)
    elif spec.shape == "count":
        values = rng.poisson(spec.level * np.exp(spec.spread * z)).astype(float)
    else:
        values = spec.level + spec.spread * z
    return np.round(np.clip(values, spec.lo, spec.hi), spec.decimals) + 0.0  # + 0.0: no "-0.0" in the file


def yes_no(flags: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Flags as yes/no cells; empty for the organisations outside `mask`."""
    cells = np.where(flags, "yes", "no").astype(object)
    cells[~mask] = ""
    return cells


def labelled(positions: np.ndarray, labels: tuple[str, ...], mask: np.ndarray) -> np.ndarray:
    """Scale positions as label cells; empty for the organisations outside `mask`."""
    cells = np.array(labels, dtype=object)[positions.astype(int)]
    cells[~mask] = ""
    return cells


def oversight_inputs(program: ir.Program, pop: Population, metrics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """in_deficit, rsp_entry, in_rsp and the ICB system tests, answered from the organisations' own figures."""
    planned = metrics["planned_surplus_deficit"]
    supported = (planned == 0) & (pop.strength[:, pop.year_start] < DEFICIT_SUPPORT)
    rsp = np.zeros(pop.strength.shape, dtype=bool)
    for org_type in KINDS:
        rows = pop.types == org_type
        rsp[weakest(pop, rows, round(RSP_SHARE * rows.sum()))] = True
    icb = pop.types == "icb"
    # Those entering the programme in a quarter are in it from the next (none leaves within the year).
    in_rsp = np.zeros_like(rsp)
    in_rsp[:, 1:] = rsp[:, :-1]
    tests = {"in_deficit": (planned < 0) | supported, "rsp_entry": rsp, "in_rsp": in_rsp}
    higher = directions(program)
    for name, (metric, share) in SYSTEM_TESTS.items():
        oriented = metrics[metric] if higher[metric] else -metrics[metric]
        cut = np.quantile(oriented[icb], share, axis=0)
        tests[name] = oriented < cut
    variance = metrics["variance_to_plan"]
    tests["sys_finance_deficit"] = (planned < -2) | ((planned < 0) & (variance < -1))
    columns = {c.name: c for c in program.columns}
    return {name: yes_no(flags, applies(program, columns[name], pop)) for name, flags in tests.items()}


def performance_inputs(rng: np.random.Generator, program: ir.Program, pop: Population) -> dict[str, np.ndarray]:
    """The 2009 declarations, registration and judgements, weaker trusts more often on the wrong side."""
    columns = {c.name: c for c in program.columns}
    mask = applies(program, columns["sfbh"], pop)
    # Declared, and registered, once a year.
    sfbh = rated(latent(rng, pop.strength, DECLARED)[:, pop.year_start], SFBH_SHARES)
    hcai = rated(latent(rng, pop.strength, DECLARED)[:, pop.year_start], HCAI_SHARES)
    # 2 * MAJOR_FAILING * P(Z < -strength): MAJOR_FAILING on average, twice that for the weakest.
    weakness = np.vectorize(NORMAL.cdf)(-pop.strength)
    failing = rng.random(pop.strength.shape) < 2 * MAJOR_FAILING * weakness
    return {
        "sfbh": labelled(sfbh, columns["sfbh"].type.labels, mask),
        "hcai": labelled(hcai, columns["hcai"].type.labels, mask),
        "major_failing": yes_no(failing, mask),
        # Designation follows the trust's categories: performance_2009 gives it once they are known.
        "designated_challenged": yes_no(np.zeros(pop.strength.shape, dtype=bool), mask),
        # The synthetic trusts have no cash position: none is unable to repay its loans.
        "unable_to_repay_loans": yes_no(np.zeros(pop.strength.shape, dtype=bool), mask),
    }


# ---------------------------------------------------------------- cells and files


def metric_cells(
    rng: np.random.Generator, program: ir.Program, pop: Population, metrics: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Each metric as text, a few values left empty at random as suppressed."""
    out = {}
    for column in program.columns:
        if column.kind != "metric":
            continue
        values = metrics[column.name]
        suppressed = rng.random(values.shape) < MISSING
        cells = np.full(values.shape, "", dtype=object)
        for row, org_type in enumerate(pop.types):
            spec = spec_for(column.name, org_type)
            for period, value in enumerate(values[row]):
                if math.isnan(value) or suppressed[row, period]:
                    continue
                if isinstance(spec, Rated):
                    cells[row, period] = column.type.labels[int(value)]
                else:
                    cells[row, period] = f"{value:.{spec.decimals}f}"
        out[column.name] = cells
    return out


def csv_text(
    pop: Population, names: list[str], cells: dict[str, np.ndarray], absent: frozenset[tuple[int, int]] = frozenset()
) -> tuple[str, int]:
    """The table as CSV text, one row per organisation and period (but `absent` ones), and its row count."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KEYS + names)
    rows = 0
    for i, code in enumerate(pop.codes):
        for t, period in enumerate(pop.periods):
            if (i, t) in absent:
                continue
            writer.writerow([code, pop.names[i], pop.types[i], period, *(cells[name][i, t] for name in names)])
            rows += 1
    return out.getvalue(), rows


def england(rng: np.random.Generator, oversight: ir.Program, performance: ir.Program) -> tuple[str, int]:
    """Today's organisations for 2025/26, with the 2009 columns for acute and ambulance trusts as a what-if.

    No trust is designated Challenged: that judgement belongs to a regime with a history of categories.
    """
    pop = population(rng, ENGLAND, ENGLAND_PERIODS)
    metrics = draw_metrics(rng, oversight, pop)
    cells = oversight_inputs(oversight, pop, metrics) | metric_cells(rng, oversight, pop, metrics)
    metrics_2009 = draw_metrics(rng, performance, pop)
    cells |= performance_inputs(rng, performance, pop) | metric_cells(rng, performance, pop, metrics_2009)
    names = [c.name for c in oversight.columns + performance.columns]
    return csv_text(pop, names, cells)


def performance_2009(rng: np.random.Generator, performance: Compiled) -> tuple[str, int]:
    """The 2009 regime's own trusts over six quarters: two designated Challenged, one without a 2009Q4 return."""
    program = performance.program
    pop = population(rng, PERFORMANCE_ORGS, PERFORMANCE_PERIODS)
    metrics = draw_metrics(rng, program, pop)
    cells = performance_inputs(rng, program, pop) | metric_cells(rng, program, pop, metrics)
    names = [c.name for c in program.columns]
    worst = worst_outcome(performance, pop, csv_text(pop, names, cells)[0])
    order = [int(i) for i in weakest(pop, np.ones(len(pop.codes), dtype=bool), len(pop.codes))]
    designated = [i for i in order if worst[i, :DESIGNATED_FROM].all()][:DESIGNATED]
    gaps = [i for i in order if i not in designated and worst[i, GAP_PERIOD - 1 : GAP_PERIOD + 2].all()]
    if len(designated) < DESIGNATED or not gaps:
        raise SystemExit(
            "too few trusts underperform quarters running to designate or to leave a gap; "
            "make standings more persistent (LASTING, DRIFT)"
        )
    cells["designated_challenged"][designated, DESIGNATED_FROM:] = "yes"
    return csv_text(pop, names, cells, frozenset({(gaps[0], GAP_PERIOD)}))


def worst_outcome(compiled: Compiled, pop: Population, text: str) -> np.ndarray:
    """Whether each organisation's outcome is the policy's worst in each period, for the table `text` in full."""
    program = compiled.program
    frame = load_text(text, "synthetic table", program).frame
    outcome = program.decl(program.outcome)
    values = compiled.module().evaluate(frame)[outcome.name]
    return (values == len(outcome.type.labels) - 1).reshape(len(pop.codes), len(pop.periods))


def write_atomic(path: Path, text: str) -> None:
    """Write the whole file or nothing: a temporary file in the same folder, then renamed over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these are files to share
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_policy(path: Path) -> Compiled:
    """The compiled policy, or an exit that points at `policyc check` when it has errors."""
    result, compiled = compile_file(path)
    if compiled is None:
        raise SystemExit(f"{path} has errors; run `policyc check {path}`")
    return compiled


def check_specs(*programs: ir.Program) -> None:
    """Every metric of the policies has levels for each org type it applies to, so a new metric fails here."""
    lacking = []
    for program in programs:
        for column in program.columns:
            if column.kind != "metric":
                continue
            entry = SPECS.get(column.name)
            types = [program.org_types[i] for i in column.applies]
            if entry is None or (isinstance(entry, dict) and not set(types) <= set(entry)):
                lacking.append(column.name)
    if lacking:
        raise SystemExit(f"no levels in SPECS for: {', '.join(lacking)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=f"Write {ENGLAND_FILE} and {PERFORMANCE_FILE}, synthetic data for "
        f"the shipped policies, from seed {SEED}: the same bytes on every run."
    )
    parser.add_argument(
        "--out", type=Path, default=HERE, metavar="DIR", help="folder to write the CSV files to (default: %(default)s)"
    )
    args = parser.parse_args()
    oversight, performance = load_policy(OVERSIGHT), load_policy(PERFORMANCE)
    check_specs(oversight.program, performance.program)
    args.out.mkdir(parents=True, exist_ok=True)
    england_rng, performance_rng = np.random.default_rng(SEED).spawn(2)
    for name, (text, rows) in [
        (ENGLAND_FILE, england(england_rng, oversight.program, performance.program)),
        (PERFORMANCE_FILE, performance_2009(performance_rng, performance)),
    ]:
        write_atomic(args.out / name, text)
        print(f"wrote {args.out / name}: {rows} rows")


if __name__ == "__main__":
    main()
