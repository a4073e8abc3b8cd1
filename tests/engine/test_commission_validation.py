"""A commission model refuses every figure that is not a finite number >= 0, with a ValueError
that names it (the CLI and the configuration panel show it as one line)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from ostdesk.engine.commission import CommissionModel, parse_commission


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"per_unit": math.nan}, "commission per_unit must be a finite number >= 0, got nan"),
        ({"percent": math.inf}, "commission percent must be a finite number >= 0, got inf"),
        ({"minimum": -1.0}, "commission minimum must be a finite number >= 0, got -1.0"),
        ({"per_unit": "0.01"}, "commission per_unit must be a finite number >= 0, got '0.01'"),
        ({"percent": None}, "commission percent must be a finite number >= 0, got None"),
        ({"minimum": True}, "commission minimum must be a finite number >= 0, got True"),
    ],
    ids=["nan", "infinite", "negative", "text", "None", "bool"],
)
def test_a_model_refuses_a_figure_that_is_not_a_finite_number_at_least_zero(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        CommissionModel(**fields)
    assert str(caught.value) == message


def test_a_model_keeps_numbers_of_other_types_as_floats() -> None:
    model = CommissionModel(per_unit=np.float32(0.5), minimum=1)
    assert model == CommissionModel(per_unit=0.5, minimum=1.0)
    assert type(model.minimum) is float
    assert model.describe() == "per_unit=0.5,min=1"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("per_unit=nan", "commission per_unit must be a finite number >= 0, got nan"),
        ("inf%", "commission percent must be a finite number >= 0, got inf"),
        ("min=1e999", "commission minimum must be a finite number >= 0, got inf"),
        ("per_unit=-0.01", "commission per_unit must be a finite number >= 0, got -0.01"),
        ("percent=abc", "cannot read commission 'percent=abc': 'abc' is not a number"),
        ("per_unit=", "cannot read commission 'per_unit=': '' is not a number"),
        ("0.01,0.02", "commission '0.01,0.02' gives per_unit twice"),
        ("fee=1", "unknown commission field 'fee' (use per_unit, percent, min)"),
    ],
    ids=["nan", "infinite", "overflow", "negative", "text", "empty", "twice", "unknown field"],
)
def test_parse_commission_refuses_a_bad_spec_with_one_line(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_commission(spec)
    assert str(caught.value) == message


def test_parse_commission_still_reads_every_documented_form() -> None:
    assert parse_commission("per_unit=0.005,min=1") == CommissionModel(per_unit=0.005, minimum=1)
    assert parse_commission("percent=0.1") == CommissionModel(percent=0.1)
    assert parse_commission("0.1%") == CommissionModel(percent=0.1)
    assert parse_commission("0.005") == CommissionModel(per_unit=0.005)
    assert parse_commission("none").is_free
