"""The parameter space: ranges read from text against the declared Params, each mistake one
line naming the parameter; grid order and the random-access combination agree."""

from __future__ import annotations

import enum

import pytest

from ostdesk import Param, Strategy
from ostdesk.research.space import SpaceError, combination, grid, grid_size, parse_space
from ostdesk.research.spec import Constraint, Objective, StudySpec, check_stat


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


class Declared(Strategy):
    fast = Param(10, min=2, max=200)
    ratio = Param(0.5, min=0.1, max=0.9, step=0.2)
    width = Param(1.5, min=0.0, max=10.0)
    mode = Param(Mode.FAST)
    flag = Param(False)
    label = Param("x")


def test_low_high_step_includes_both_ends() -> None:
    (dim,), fixed = parse_space(Declared.params, ["fast=5:50:5"])
    assert dim.values == tuple(range(5, 51, 5)) and fixed == {}


def test_name_alone_searches_the_declared_range_and_choices() -> None:
    dims, _ = parse_space(Declared.params, ["ratio", "mode", "flag"])
    assert [d.values for d in dims] == [
        (0.1, 0.3, 0.5, 0.7, 0.9),
        (Mode.FAST, Mode.SLOW),
        (False, True),
    ]


def test_a_float_range_without_step_is_continuous() -> None:
    (dim,), _ = parse_space(Declared.params, ["width=1:3"])
    assert not dim.discrete and (dim.low, dim.high) == (1.0, 3.0)


def test_a_single_value_fixes_the_parameter() -> None:
    dims, fixed = parse_space(Declared.params, ["fast=5:10", "mode=SLOW"])
    assert [d.name for d in dims] == ["fast"] and fixed == {"mode": Mode.SLOW}


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        (["speed=1:5"], "--param speed: no such parameter (parameters: fast, ratio"),
        (["fast=1:50:5"], "--param fast=1:50:5: 1 is below the minimum 2"),
        (["fast=50:5"], "--param fast=50:5: the range is empty (high is below low)"),
        (["fast=5:50:0"], "--param fast=5:50:0: the step must be above 0"),
        (["fast=5:50:2.5"], "--param fast=5:50:2.5: fast is a whole number"),
        (["fast=a:b"], "--param fast=a:b: low, high and step must be numbers"),
        (["mode=FAST,MEDIUM"], "--param mode=FAST,MEDIUM: expected one of FAST, SLOW"),
        (["label"], "--param label: a text parameter needs its values"),
        (["fast=7"], "the parameter space is empty"),
        ([], "the parameter space is empty"),
        (["fast=5:9", "fast=6:9"], "--param fast: given twice"),
    ],
)
def test_a_bad_range_is_one_line_naming_it(ranges: list[str], message: str) -> None:
    with pytest.raises(SpaceError) as caught:
        parse_space(Declared.params, ranges)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_combination_n_is_the_grids_nth() -> None:
    dims, _ = parse_space(Declared.params, ["fast=2:8:3", "mode", "ratio"])
    combos = list(grid(dims))
    assert len(combos) == grid_size(dims) == 3 * 2 * 5
    assert [combination(dims, k) for k in range(len(combos))] == combos


def test_unknown_statistic_is_refused_and_case_is_forgiven() -> None:
    assert check_stat("sharpe ratio", "--objective") == "Sharpe Ratio"
    with pytest.raises(SpaceError, match="--objective 'Sharp': no such statistic"):
        check_stat("Sharp", "--objective")


def test_constraint_reads_stat_operator_and_bound() -> None:
    c = Constraint.parse("# Trades>=30")
    assert (c.stat, c.op, c.bound) == ("# Trades", ">=", 30.0)
    assert c.holds({"# Trades": 30.0}) and not c.holds({"# Trades": 29.0})
    assert not c.holds({"# Trades": float("nan")})
    with pytest.raises(SpaceError, match="expected STAT OP NUMBER"):
        Constraint.parse("# Trades")


def test_spec_survives_json_with_enums() -> None:
    dims, fixed = parse_space(Declared.params, ["fast=5:9:2", "mode", "flag=true"])
    spec = StudySpec(
        "Declared",
        "built-in",
        ("A",),
        "day",
        dims,
        (Objective("SQN", minimize=True),),
        fixed,
        (Constraint.parse("# Trades > 3"),),
        method="random",
        n_trials=4,
    )
    assert StudySpec.from_json(spec.to_json(), Declared.params) == spec


def test_a_grid_over_a_continuous_range_is_refused() -> None:
    dims, _ = parse_space(Declared.params, ["width=1:3"])
    with pytest.raises(SpaceError, match="--param width: a grid needs a step"):
        StudySpec("Declared", "built-in", ("A",), "day", dims, (Objective("SQN"),))
