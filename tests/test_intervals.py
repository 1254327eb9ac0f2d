"""Interval code against known values."""

from __future__ import annotations

import math

import pytest

from gitckpt.intervals import bootstrap, wilson


def test_wilson_matches_the_formula_worked_by_hand() -> None:
    # 81 of 100, 95 %: z = 1.959964; centre = (0.81 + z²/200) / (1 + z²/100); half-width likewise
    z = 1.959963984540054
    centre = (0.81 + z * z / 200) / (1 + z * z / 100)
    half = z * math.sqrt(0.81 * 0.19 / 100 + z * z / 40000) / (1 + z * z / 100)
    interval = wilson(81, 100)
    assert interval.low == pytest.approx(
        centre - half, abs=1e-12
    ) and interval.high == pytest.approx(centre + half, abs=1e-12)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.7222, 0.8749)
    assert interval.method == "wilson" and interval.level == 0.95


def test_wilson_at_the_edges_stays_in_zero_one() -> None:
    assert wilson(0, 10).low == 0.0 and wilson(10, 10).high == 1.0
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_bootstrap_is_reproducible_from_its_seed_and_brackets_the_mean() -> None:
    values = [1.0] * 80 + [0.0] * 20
    first, second = bootstrap(values, seed=7), bootstrap(values, seed=7)
    assert first == second and first.contains(0.8)
    assert bootstrap(values, seed=8) != first
    assert first.method == "bootstrap-percentile (1000 resamples, seed 7)"
    assert 0.70 < first.low < 0.8 < first.high < 0.9
