"""The one text formatting module: shapes, counts, bytes, ratios — and that the views and
the command line use it rather than their own copies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from explorer.core.analysis.costs import separable_ratio_formula
from explorer.core.analysis.formulas import ratio_formula
from explorer.core.analysis.memory import format_bytes
from explorer.core.text import (
    bytes_text,
    compact,
    grouped,
    separable_ratio_parts,
    separable_ratio_text,
    shape_text,
    tensor_shape_text,
    times_fewer,
)

EXPLORER = Path(__file__).resolve().parents[2] / "explorer"


def test_shapes():
    assert shape_text((128, 32, 32)) == "128×32×32"
    assert shape_text(torch.Size([1, 3])) == "1×3"
    assert shape_text(()) == ""
    assert tensor_shape_text(torch.Size([16, 3, 3, 3])) == "[16, 3, 3, 3]"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (8_388_608, "8.39 M"),
        (950, "950"),
        (12_345, "12.3 k"),
        (1.2e10, "12.0 G"),
        (0.5, "0.5"),
        (123_456_789, "123 M"),
    ],
)
def test_compact_counts(n, text):
    assert compact(n) == text


def test_grouped_counts_are_exact():
    assert grouped(8_388_608) == "8,388,608" and grouped(8320) == "8,320"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (100, "100 B"),
        (2048, "2 KiB"),
        (786_432, "768 KiB"),
        (3 * 1024**2, "3.0 MiB"),
        (int(6.3 * 1024**3), "6.3 GiB"),
    ],
)
def test_bytes(n, text):
    assert bytes_text(n) == text == format_bytes(n)


def test_times_fewer():
    assert times_fewer(0.119) == "8.4× fewer"
    assert times_fewer(0.5) == "2.0× fewer"


@pytest.mark.parametrize(
    ("c_out", "k", "m"), [(128, (3, 3), 1), (32, (5, 5), 1), (64, (3, 5), 1), (16, (3, 3), 2)]
)
def test_the_separable_ratio_text_evaluates_to_the_counted_formula(c_out, k, m):
    symbols, numbers = separable_ratio_parts(c_out, k, m)
    text = separable_ratio_text(c_out, k, m, digits=6)
    assert text.startswith(f"{symbols} = {numbers} = ")
    # the numbers written are the formula: evaluate them
    expr = numbers.replace("·", "*")
    assert eval(expr) == pytest.approx(separable_ratio_formula(c_out, k, m))  # noqa: S307
    assert float(text.rsplit("= ", 1)[1]) == pytest.approx(
        separable_ratio_formula(c_out, k, m), abs=1e-6
    )
    assert ("m·(" in symbols) == (m != 1)
    assert ("k²" in symbols) == (k[0] == k[1])


def test_the_same_ratio_text_in_the_formulas_panel():
    assert ratio_formula(128, (3, 3)) == (
        f"separable/standard = {separable_ratio_text(128, (3, 3))} (8.4× fewer MACs)"
    )


def test_no_module_keeps_its_own_copy():
    """shape_text and the ratio formula are written once, in explorer/core/text.py."""
    copies = []
    for path in EXPLORER.rglob("*.py"):
        if path.name == "text.py":
            continue
        source = path.read_text(encoding="utf-8")
        if re.search(r"def (shape_text|_shape|_bytes|format_bytes|grouped|compact)\(", source):
            copies.append(path.name)
        if re.search(r"[\"']×[\"']\.join", source) or '1/k²" if' in source:
            copies.append(path.name)
        if re.search(r"f\"1/\{", source):
            copies.append(path.name)
    assert not copies, copies
