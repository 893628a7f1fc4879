"""Return on investment of a loyalty program, without the ORM.

The formula is the source article's, with its misprint corrected (the article prints
``(1 - W + X) / 100``; its own example only works with 100)::

    revenue_gain = (Z * Y / 100) * N * (100 - W + X) / 100
    roi_percent  = (revenue_gain - V) / V * 100

Z average yearly revenue of a large customer, N years of cooperation, W churn %, X churn
reduction % (percentage points), Y revenue uplift %, V program cost.
"""

from typing import NamedTuple

# Inputs a sensitivity analysis varies, one at a time.
SENSITIVITY_VARIABLES = ("churn_reduction_percent", "uplift_percent", "program_cost")
PERCENT_INPUTS = ("churn_percent", "churn_reduction_percent", "uplift_percent")


class RoiInputs(NamedTuple):
    avg_revenue: float  # Z
    years: float  # N
    churn_percent: float  # W
    churn_reduction_percent: float  # X
    uplift_percent: float  # Y
    program_cost: float  # V


class SensitivityPoint(NamedTuple):
    variable: str
    change_percent: int
    value: float
    revenue_gain: float
    roi_percent: float


def input_errors(inputs):
    """Names of the inputs that are out of range, in field order; empty when all are valid.

    The program cost must be positive (the ROI divides by it), revenue and years cannot be
    negative and the percentages lie between 0 and 100.
    """
    errors = []
    if inputs.avg_revenue < 0:
        errors.append("avg_revenue")
    if inputs.years < 0:
        errors.append("years")
    errors.extend(name for name in PERCENT_INPUTS if not 0 <= getattr(inputs, name) <= 100)
    if inputs.program_cost <= 0:
        errors.append("program_cost")
    return errors


def _check(inputs):
    errors = input_errors(inputs)
    if errors:
        raise ValueError(f"Invalid ROI inputs: {', '.join(errors)}")


def revenue_gain(inputs):
    """(Z * Y/100) * N * (100 - W + X)/100, multiplied out first so that exact inputs give
    exact results (the article's example is 28,500.0, not 28,499.999...)."""
    _check(inputs)
    numerator = (
        inputs.avg_revenue
        * inputs.uplift_percent
        * inputs.years
        * (100 - inputs.churn_percent + inputs.churn_reduction_percent)
    )
    return numerator / 10_000


def roi_percent(inputs, gain=None):
    """(gain - V) / V * 100; ``gain`` defaults to :func:`revenue_gain` of the inputs."""
    _check(inputs)
    gain = revenue_gain(inputs) if gain is None else gain
    return (gain - inputs.program_cost) * 100 / inputs.program_cost


def change_grid(range_percent=50, step_percent=10):
    """Relative changes from -range to +range in steps, always including 0: (-50, -40, ..., 50)."""
    if not 0 < range_percent < 100:
        raise ValueError("The sensitivity range must lie strictly between 0 and 100%.")
    if not 0 < step_percent <= range_percent:
        raise ValueError("The sensitivity step must be positive and at most the range.")
    steps = int(range_percent // step_percent)
    grid = {round(sign * k * step_percent) for k in range(steps + 1) for sign in (-1, 1)}
    grid.update((-round(range_percent), round(range_percent)))
    return tuple(sorted(grid))


def sensitivity(inputs, grid=None, variables=SENSITIVITY_VARIABLES):
    """ROI when one input at a time moves by each relative change of ``grid``.

    A change that would push a percentage above 100 gives no point: the analysis shows only
    scenarios that could happen. The cost stays positive because the grid stays within
    -100% (see :func:`change_grid`).
    """
    _check(inputs)
    grid = change_grid() if grid is None else grid
    points = []
    for variable in variables:
        base = getattr(inputs, variable)
        for change in grid:
            value = base * (100 + change) / 100
            varied = inputs._replace(**{variable: value})
            if input_errors(varied):
                continue
            gain = revenue_gain(varied)
            points.append(SensitivityPoint(variable, change, value, gain, roi_percent(varied, gain)))
    return points
