"""The one rule for writing a change and its interval."""

from __future__ import annotations

import pytest

from gatebot.numbers import change


@pytest.mark.parametrize(
    ("delta", "low", "high", "fraction", "expected"),
    [
        # the interval's half-width decides the decimals, for the change and both bounds alike
        (-0.00691, -0.05, 0.0388, False, ("-0.007", "[-0.050, +0.039]")),
        (0.7025, 0.624, 0.773, False, ("+0.703", "[+0.624, +0.773]")),
        (12.3, -40.0, 65.0, False, ("+12", "[-40, +65]")),
        # points keep one decimal at least, and gain one when the interval is narrower than a point
        (-0.125, -0.187, -0.062, True, ("-12.5 pts", "[-18.7, -6.2]")),
        (0.0045, -0.0035, 0.0125, True, ("+0.45 pts", "[-0.35, +1.25]")),
        # a change that is not zero never reads as zero or as -0.0
        (-0.0004, None, None, True, ("-0.04 pts", "")),
        (-0.0003, -0.0004, 0.1, True, ("-0.03 pts", "[-0.04, +10.00]")),
        # zero has no sign
        (0.0, 0.0, 0.0, False, ("0", "[0, 0]")),
        (0.0, None, None, True, ("0.0 pts", "")),
        (0.0, -0.02, 0.02, True, ("0.0 pts", "[-2.0, +2.0]")),
        # without an interval a change in the metric's units keeps four significant digits
        (0.5, None, None, False, ("+0.5", "")),
        (-0.00691, None, None, False, ("-0.00691", "")),
    ],
)
def test_change__one_precision_for_a_change_and_its_interval(
    delta: float, low: float | None, high: float | None, fraction: bool, expected: tuple[str, str]
) -> None:
    assert change(delta, low, high, fraction=fraction) == expected


def test_change__too_small_for_fixed_decimals__significant_digits() -> None:
    assert change(3e-12, 1e-12, 5e-12, fraction=False) == ("+3e-12", "[+1e-12, +5e-12]")
