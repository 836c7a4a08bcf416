"""How a change and its interval are written: one rule for every row, title and phrase of the report.

A change is only as precise as its interval, so both are written with the same number of decimals: the
decimals that give the interval's half-width two significant digits (`-0.007 [-0.050, +0.039]`, not
`-0.00691 [-0.05, +0.0388]`), and at least one for percentage points. A change that is not zero is
never written as zero (`-0.04 pts`, not `-0.0 pts`), and zero is written without a sign (`0 [0, 0]`).
"""

from __future__ import annotations

import math

_MAX_PLACES = 8
"""Beyond this many decimals a number is written in four significant digits instead."""


def places(delta: float, low: float | None, high: float | None, *, fraction: bool) -> int | None:
    """The decimals for a change and its interval; None for four significant digits instead (a change
    in the metric's units without an interval, or one too small for `_MAX_PLACES`).

    `fraction`: the values are 0..1 rates, written as percentage points (times 100).
    """
    scale = 100.0 if fraction else 1.0
    least = 1 if fraction else 0
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high) and high > low:
        spread = (high - low) * scale / 2
        digits = max(least, 1 - math.floor(math.log10(spread)))
    elif fraction or delta == 0:
        digits = least
    else:
        return None  # no interval to take the precision from: four significant digits
    magnitude = abs(delta) * scale
    while magnitude and round(magnitude, digits) == 0 and digits <= _MAX_PLACES:
        digits += 1  # a change that is not zero never shows as zero
    return digits if digits <= _MAX_PLACES else None


def signed(value: float, digits: int | None, *, fraction: bool) -> str:
    """`value` (a change, or an interval's bound) with its sign, in the row's decimals."""
    scaled = value * (100.0 if fraction else 1.0)
    text = f"{scaled:+.4g}" if digits is None else f"{scaled:+.{digits}f}"
    if float(text) == 0:
        return text.lstrip("+-")  # zero has no sign, and -0.0 is zero
    return text


def change(
    delta: float, low: float | None = None, high: float | None = None, *, fraction: bool
) -> tuple[str, str]:
    """The change (`-12.5 pts`, `+0.031`) and its interval (`[-18.7, -6.2]`, or "" without one)."""
    digits = places(delta, low, high, fraction=fraction)
    text = signed(delta, digits, fraction=fraction) + (" pts" if fraction else "")
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return text, ""
    bounds = f"[{signed(low, digits, fraction=fraction)}, {signed(high, digits, fraction=fraction)}]"
    return text, bounds
