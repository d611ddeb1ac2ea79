"""What other counting tools would report for a stack, and why they differ from the app.

The app counts **MACs** = multiply-accumulates of the convolutions only: for each
convolution ``H_out · W_out · C_out · (C_in / groups) · kh · kw``; bias additions,
BatchNorm and activations are not MACs (bias additions are reported separately as
``bias_adds``). **FLOPs** = 2 × MACs, which is what torch's ``FlopCounterMode`` reports.

Popular tools print other numbers for the same stack, under names that do not say what
they count (fvcore #69: its "flops" are MACs; thop #15 and #46: ``profile`` returns MACs;
ptflops #40: variables named flops hold MACs, printed as "GMac"). Their conventions,
written here as the app's own formulas from the stack's cost (no dependency on the tools;
``tests/core/test_tool_counts.py`` checks them against fvcore 0.1.5, thop 0.1.1,
ptflops 0.7.5 and torchinfo 1.8.0 installed as the ``test`` extra), batch 1, eval mode:

==================  ==================================================================
tool                what it adds up
==================  ==================================================================
FlopCounterMode     2 × conv MACs
fvcore              conv MACs, **except** convolutions with ``padding="same"`` (not
                    traced as ``aten::_convolution``: silently 0) + 2 per BatchNorm
                    output element
thop                conv MACs + 4 per BatchNorm output element
ptflops             conv MACs + 1 per bias addition + 2 per BatchNorm element + 2 per
                    ReLU element (its ``nn.ReLU`` hook and its ``F.relu`` patch both
                    count) + 1 per ReLU6 element
torchinfo           conv MACs + 1 per bias addition + 2 per BatchNorm channel
                    ("Mult-Adds": γ and β times the batch)
==================  ==================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from explorer.core.analysis.costs import StackCost
from explorer.core.model.specs import LayerSpec

__all__ = ["CONVENTION", "StackTerms", "ToolCount", "stack_terms", "tool_counts"]

#: The app's counting convention, stated exactly (the cost view and ``stats`` show it).
CONVENTION = (
    "MACs = multiply-accumulates of the convolutions only: per convolution "
    "H_out·W_out·C_out·(C_in/groups)·kh·kw (bias additions, BatchNorm and activations are not "
    "counted; bias additions are listed separately). FLOPs = 2 × MACs, as torch's "
    "FlopCounterMode reports. Params include biases and BatchNorm γ, β."
)


@dataclass(frozen=True)
class StackTerms:
    """The pieces the tools add up differently (batch 1)."""

    macs: int
    bias_adds: int
    bn_elements: int
    bn_channels: int
    relu_elements: int
    relu6_elements: int
    same_padding_macs: int


@dataclass(frozen=True)
class ToolCount:
    """One tool's number for the stack.

    Attributes
    ----------
    tool
        Its name and the call, e.g. ``"fvcore FlopCountAnalysis(...).total()"``.
    value
        What it reports.
    label
        What the tool calls the number.
    means
        What the number is, in the app's terms.
    why
        Why it differs from the app's MACs for this stack ("" when it equals them).
    reference
        The issue where its users asked.
    """

    tool: str
    value: int
    label: str
    means: str
    why: str
    reference: str


def stack_terms(cost: StackCost, layers: Sequence[LayerSpec]) -> StackTerms:
    """Add up, over every convolution part of ``cost``, what the tools count."""
    bias = bn_el = bn_ch = relu = relu6 = same = 0
    for layer, spec in zip(cost.layers, layers, strict=False):
        for part in layer.parts:
            elements = math.prod(part.output_shape)
            bias += part.bias_adds
            if spec.batch_norm:
                bn_el += elements
                bn_ch += part.output_shape[0]
            if spec.activation == "relu":
                relu += elements
            elif spec.activation == "relu6":
                relu6 += elements
            # a separable layer's pointwise part has no padding: only its depthwise is 'same'
            if getattr(spec, "padding", None) == "same" and part.name != "pointwise":
                same += part.macs
    return StackTerms(cost.macs, bias, bn_el, bn_ch, relu, relu6, same)


def _why(parts: list[tuple[int, str]]) -> str:
    words = [f"{'+' if n > 0 else '−'} {abs(n):,} {what}" for n, what in parts if n]
    return f"app's MACs {' '.join(words)}" if words else "equals the app's MACs"


def tool_counts(cost: StackCost, layers: Sequence[LayerSpec]) -> list[ToolCount]:
    """What FlopCounterMode, fvcore, thop, ptflops and torchinfo would report for the
    stack (batch 1, eval mode), with the reason each differs from the app's MACs."""
    t = stack_terms(cost, layers)
    bn2, bn4 = 2 * t.bn_elements, 4 * t.bn_elements
    relu_pt = 2 * t.relu_elements + t.relu6_elements
    return [
        ToolCount(
            "torch FlopCounterMode",
            2 * t.macs,
            "FLOPs",
            "2 × MACs: a multiply and an add each count",
            "= the app's FLOPs (2 × MACs)",
            "—",
        ),
        ToolCount(
            "fvcore FlopCountAnalysis",
            t.macs - t.same_padding_macs + bn2,
            "flops",
            'MACs ("one fused multiply-add as one flop")',
            _why(
                [
                    (-t.same_padding_macs, "skipped: convolutions with padding='same'"),
                    (bn2, "BatchNorm (2 per element)"),
                ]
            ),
            "fvcore #69",
        ),
        ToolCount(
            "thop profile",
            t.macs + bn4,
            "macs",
            "MACs",
            _why([(bn4, "BatchNorm (4 per element)")]),
            "thop #15, #46",
        ),
        ToolCount(
            "ptflops get_model_complexity_info",
            t.macs + t.bias_adds + bn2 + relu_pt,
            "GMac",
            "MACs, though its variables say flops",
            _why(
                [
                    (t.bias_adds, "bias additions"),
                    (bn2, "BatchNorm (2 per element)"),
                    (2 * t.relu_elements, "ReLU (2 per element: counted twice)"),
                    (t.relu6_elements, "ReLU6 (1 per element)"),
                ]
            ),
            "ptflops #40",
        ),
        ToolCount(
            "torchinfo summary",
            t.macs + t.bias_adds + 2 * t.bn_channels,
            "Mult-Adds",
            "MACs plus parameter-times-output terms",
            _why(
                [
                    (t.bias_adds, "bias additions"),
                    (2 * t.bn_channels, "BatchNorm (γ and β: 2 per channel)"),
                ]
            ),
            "—",
        ),
    ]
