"""Live formulas: the numbers filled in evaluate to the result, and it agrees with costs."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.analysis.costs import layer_cost, stack_cost
from explorer.core.analysis.formulas import (
    layer_formulas,
    output_size_formula,
    ratio_formula,
    receptive_field_formula,
    stack_formulas,
)
from explorer.core.errors import SpecError
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, SeparableSpec, StandardSpec


def evaluate(numbers: str) -> int:
    """The middle part of a formula, with the layer's numbers, evaluated as Python."""
    expr = (
        numbers.replace(",", "")
        .replace("·", "*")
        .replace("−", "-")
        .replace("⌊", "math.floor(")
        .replace("⌋", ")")
    )
    assert re.fullmatch(r"[0-9+\-*/() .a-z]*", expr), expr
    return round(eval(expr, {"math": math}))  # noqa: S307 (digits and operators only)


def result(formula: str) -> int:
    return int(formula.rsplit("= ", 1)[1].split()[0].replace(",", ""))


def test_the_64_to_128_example():
    f = layer_formulas(StandardSpec(out_channels=128, kernel_size=1), (64, 32, 32))
    assert f.params == "params = C_out·C_in/g·k_h·k_w + C_out = 128·64·1·1 + 128 = 8,320"
    assert f.macs == "MACs = H_out·W_out·C_out·C_in/g·k_h·k_w = 32·32·128·64·1·1 = 8,388,608"
    assert f.flops == "FLOPs = 2·MACs = 2·8,388,608 = 16,777,216"
    pw = layer_formulas(PointwiseSpec(out_channels=128), (64, 32, 32))
    assert pw.params == "params = C_out·C_in + C_out = 128·64 + 128 = 8,320"


def test_output_size_and_receptive_field_text():
    assert output_size_formula(64, 3, 1, 1, 1) == (
        "H_out = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1 = ⌊(64 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = 64"
    )
    assert output_size_formula(64, 4, 1, "same", 1, "W") == (
        "W_out = W = 64 (padding 'same': 1 before, 2 after)"
    )
    assert receptive_field_formula(3, 3, 1, 2) == "RF_H = RF_prev + d(k−1)·jump = 3 + 1·(3−1)·2 = 7"
    assert ratio_formula(128, (3, 3)) == (
        "separable/standard = 1/C_out + 1/k² = 1/128 + 1/9 = 0.119 (8.4× fewer MACs)"
    )


pairs = st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4)))
common = {"bias": st.booleans(), "batch_norm": st.booleans()}
specs = st.one_of(
    st.builds(
        StandardSpec,
        out_channels=st.integers(1, 8),
        kernel_size=pairs,
        stride=pairs,
        padding=st.one_of(st.integers(0, 2), st.just("same")),
        dilation=pairs,
        groups=st.integers(1, 3),
        **common,
    ),
    st.builds(PointwiseSpec, out_channels=st.integers(1, 8), stride=pairs, **common),
    st.builds(
        DepthwiseSpec,
        kernel_size=pairs,
        stride=pairs,
        padding=st.integers(0, 2),
        dilation=pairs,
        multiplier=st.integers(1, 3),
        **common,
    ),
    st.builds(
        SeparableSpec,
        out_channels=st.integers(1, 8),
        kernel_size=pairs,
        padding=st.one_of(st.integers(0, 2), st.just("same")),
        dilation=pairs,
        multiplier=st.integers(1, 3),
        **common,
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    spec=specs,
    c=st.integers(1, 9),
    h=st.integers(1, 20),
    w=st.integers(1, 20),
    rf=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    jump=st.tuples(st.integers(1, 4), st.integers(1, 4)),
)
def test_formulas_agree_with_costs(spec, c, h, w, rf, jump):
    try:
        cost = layer_cost(spec, (c, h, w), 0, (rf, jump))
    except SpecError as exc:
        with pytest.raises(SpecError) as info:
            layer_formulas(spec, (c, h, w), 0, (rf, jump))
        assert str(info.value) == str(exc)
        return
    f = layer_formulas(spec, (c, h, w), 0, (rf, jump))
    for formula, expected in [
        (f.params, cost.params),
        (f.macs, cost.macs),
        (f.flops, cost.flops),
        (f.receptive_field[0], cost.receptive_field[0]),
        (f.receptive_field[1], cost.receptive_field[1]),
    ]:
        assert result(formula) == expected, formula
        assert evaluate(formula.split(" = ")[2]) == expected, formula
    for axis in range(2):
        formula = f.output_size[axis]
        assert result(formula) == cost.output_shape[1 + axis], formula
        if "same" not in formula:
            assert evaluate(formula.split(" = ")[2]) == cost.output_shape[1 + axis]
    assert len(f.lines()) == 7


def test_stack_formulas_chain_receptive_fields():
    layers = [
        StandardSpec(kernel_size=3, padding=1),
        StandardSpec(kernel_size=3, stride=2),
        SeparableSpec(kernel_size=5, padding="same", dilation=2),
    ]
    cost = stack_cost((3, 40, 40), layers)
    formulas = stack_formulas((3, 40, 40), layers)
    assert [result(f.receptive_field[0]) for f in formulas] == [
        c.receptive_field[0] for c in cost.layers
    ]
    assert formulas[2].receptive_field[0] == "RF_H = RF_prev + d(k−1)·jump = 5 + 2·(5−1)·2 = 21"
