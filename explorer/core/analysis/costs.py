"""The cost model: output shapes, parameters, MACs and FLOPs, as pure formulas.

Counting conventions (the app states them wherever it shows a count):

* **params** — every learnable parameter: conv weights, biases, BatchNorm affine (γ, β).
* **macs** — multiply-accumulates of the convolutions only (bias additions, BatchNorm and
  activations excluded); :mod:`explorer.core.analysis.tool_counts` says how other tools differ.
* **flops** — ``2 × macs`` (torch ``FlopCounterMode`` convention).
* **bias_adds** — the bias additions, reported separately (one per output element).
* **elementwise** — other element-wise work, never mixed into MACs: pooling window reads
  (``k_h·k_w`` per output), a block's skip add and SE multiply (one per element) and the SE's
  global average pool (one read per element). PReLU slopes and BN γ, β are parameters.

Every count comes from the layer's typed parts (:mod:`explorer.core.model.kinds`), so a new kind
is counted without touching this module.

These functions also validate a stack against its input shape, because the checks that
need the shape (groups dividing the channels, kernel bigger than the padded input) are
the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from explorer.core.analysis.compare_plan import as_separable, separable_run
from explorer.core.errors import SpecError
from explorer.core.model.kinds.parts import conv_output_size
from explorer.core.model.specs import LayerSpec, SeparableSpec, StandardSpec, check_fields

__all__ = [
    "BYTES_PER_VALUE",
    "Comparison",
    "LayerCost",
    "PartCost",
    "StackCost",
    "compare_separable",
    "conv_output_size",
    "find_comparisons",
    "layer_cost",
    "separable_ratio_formula",
    "stack_cost",
]

Shape = tuple[int, int, int]
BYTES_PER_VALUE = 4  # float32 activations


@dataclass(frozen=True)
class PartCost:
    """One convolution inside a layer (a separable layer has two).

    Attributes
    ----------
    name
        ``"conv"``, ``"depthwise"`` or ``"pointwise"``.
    weight_shape
        torch's ``(C_out, C_in/groups, kh, kw)``.
    padding
        The convolution's own zero padding ``(top, bottom, left, right)``, as torch splits
        it (``"same"``: the extra row/column of an odd span at the bottom/right).
    padded_input
        Values of the zero-padded input a ``ZeroPad2d`` before it made (asymmetric
        padding), 0 without one; that copy lives while the convolution runs.
    """

    name: str
    input_shape: Shape
    output_shape: Shape
    weight_shape: tuple[int, int, int, int]
    groups: int
    stride: tuple[int, int]
    dilation: tuple[int, int]
    params: int
    macs: int
    bias_adds: int
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    padded_input: int = 0


@dataclass(frozen=True)
class LayerCost:
    """Costs of one layer of the stack (all its parts added up)."""

    index: int
    kind: str
    input_shape: Shape
    output_shape: Shape
    params: int
    macs: int
    bias_adds: int
    activation_bytes: int
    receptive_field: tuple[int, int]
    jump: tuple[int, int]
    parts: tuple[PartCost, ...]
    elementwise: int = 0

    @property
    def flops(self) -> int:
        """``2 × macs`` (torch ``FlopCounterMode`` convention)."""
        return 2 * self.macs

    def as_dict(self) -> dict:
        """The JSON form used by ``conv-explorer stats --json``."""
        return {
            "index": self.index,
            "kind": self.kind,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "params": self.params,
            "macs": self.macs,
            "flops": self.flops,
            "bias_adds": self.bias_adds,
            "elementwise": self.elementwise,
            "activation_bytes": self.activation_bytes,
            "receptive_field": list(self.receptive_field),
        }


@dataclass(frozen=True)
class StackCost:
    """Costs of a whole stack on one input shape."""

    input_shape: Shape
    layers: tuple[LayerCost, ...]

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def params(self) -> int:
        return sum(c.params for c in self.layers)

    @property
    def macs(self) -> int:
        return sum(c.macs for c in self.layers)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def bias_adds(self) -> int:
        return sum(c.bias_adds for c in self.layers)

    @property
    def elementwise(self) -> int:
        """Element-wise work that is not MACs (pooling, skip adds, SE multiplies)."""
        return sum(c.elementwise for c in self.layers)

    @property
    def activation_bytes(self) -> int:
        """Bytes of every activation kept for display: input, each layer's outputs."""
        c, h, w = self.input_shape
        return c * h * w * BYTES_PER_VALUE + sum(c.activation_bytes for c in self.layers)

    def total_dict(self) -> dict:
        return {
            "params": self.params,
            "macs": self.macs,
            "flops": self.flops,
            "bias_adds": self.bias_adds,
            "elementwise": self.elementwise,
            "activation_bytes": self.activation_bytes,
        }


def _conv_pads(conv) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of a conv part's own padding, split as torch does."""
    if conv.padding == "same":
        (th, tw) = (d * (k - 1) for k, d in zip(conv.kernel, conv.dilation, strict=True))
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = conv.padding
    return (ph, ph, pw, pw)


def _part_cost(name: str, conv, in_shape: Shape, counted) -> PartCost:
    return PartCost(
        name=name,
        input_shape=in_shape,
        output_shape=counted.output_shape,
        weight_shape=(conv.c_out, in_shape[0] // conv.groups, conv.kernel[0], conv.kernel[1]),
        groups=conv.groups,
        stride=conv.stride,
        dilation=conv.dilation,
        params=counted.params,
        macs=counted.macs,
        bias_adds=counted.bias_adds,
        padding=_conv_pads(conv),
        padded_input=counted.padded_input,
    )


def layer_cost(
    spec: LayerSpec,
    in_shape: Shape,
    index: int = 0,
    receptive_field_in: tuple[tuple[int, int], tuple[int, int]] = ((1, 1), (1, 1)),
) -> LayerCost:
    """Cost of one layer on an input of shape ``(C, H, W)``.

    Parameters
    ----------
    receptive_field_in
        ``(rf, jump)`` of the input: receptive field size and the distance between
        neighbouring input positions, both in pixels of the image, per axis.

    Raises
    ------
    SpecError
        If the layer cannot run on that input; the error names the layer and field.
    """
    try:
        check_fields(spec)
        terms = spec.terms(tuple(in_shape))  # type: ignore[arg-type]
    except SpecError as exc:
        raise exc.at(index, spec.kind) from None
    out_shape = terms.output_shape
    if min(out_shape) < 1:
        raise SpecError(
            f"output would be {out_shape[1]}×{out_shape[2]} pixels; make the input bigger, "
            "the stride smaller or add padding",
            layer=index,
            field="stride",
            kind=spec.kind,
        )
    (rf_h, rf_w), (jump_h, jump_w) = receptive_field_in
    for kernel, stride, dilation in terms.windows:
        rf_h += dilation[0] * (kernel[0] - 1) * jump_h
        rf_w += dilation[1] * (kernel[1] - 1) * jump_w
        jump_h, jump_w = jump_h * stride[0], jump_w * stride[1]
    return LayerCost(
        index=index,
        kind=spec.kind,
        input_shape=in_shape,
        output_shape=out_shape,
        params=terms.params,
        macs=terms.macs,
        bias_adds=terms.bias_adds,
        activation_bytes=terms.stored * BYTES_PER_VALUE,
        receptive_field=(rf_h, rf_w),
        jump=(jump_h, jump_w),
        parts=tuple(_part_cost(*c) for c in terms.convs),
        elementwise=terms.elementwise,
    )


def stack_cost(in_shape: Sequence[int], layers: Sequence[LayerSpec]) -> StackCost:
    """Costs of every layer of a stack, each on the output of the one before.

    Raises
    ------
    SpecError
        For the first layer that cannot run; the error names the layer and field.
    """
    shape: Shape = (int(in_shape[0]), int(in_shape[1]), int(in_shape[2]))
    if min(shape) < 1:
        raise SpecError(f"input shape {list(shape)} must be positive", field="input")
    rf = ((1, 1), (1, 1))
    costs = []
    for i, spec in enumerate(layers):
        cost = layer_cost(spec, shape, i, rf)
        costs.append(cost)
        rf = (cost.receptive_field, cost.jump)
        shape = cost.output_shape
    return StackCost(
        input_shape=(int(in_shape[0]), int(in_shape[1]), int(in_shape[2])), layers=tuple(costs)
    )


def separable_ratio_formula(
    out_channels: int, kernel_size: tuple[int, int], multiplier: int = 1
) -> float:
    """MobileNet's cost ratio, separable / standard: ``m (1/C_out + 1/k²)``."""
    return multiplier * (1 / out_channels + 1 / (kernel_size[0] * kernel_size[1]))


@dataclass(frozen=True)
class Comparison:
    """A depthwise-separable block against the standard conv it replaces."""

    layers: tuple[int, ...]
    separable_params: int
    separable_macs: int
    standard: LayerCost
    formula_ratio: float

    @property
    def macs_ratio(self) -> float:
        return self.separable_macs / self.standard.macs

    @property
    def params_ratio(self) -> float:
        return self.separable_params / self.standard.params


def _standard_for(spec: LayerSpec, out_channels: int, bias: bool) -> StandardSpec:
    return StandardSpec(
        out_channels=out_channels,
        kernel_size=spec.kernel_size,
        stride=spec.stride,
        padding=spec.padding,
        dilation=spec.dilation,
        bias=bias,
        batch_norm=spec.batch_norm,
    )


def compare_separable(spec: SeparableSpec, in_shape: Shape, index: int = 0) -> Comparison:
    """Compare a separable layer with the standard k×k conv to the same channels."""
    sep = layer_cost(spec, in_shape, index)
    std = layer_cost(_standard_for(spec, spec.out_channels, spec.bias), in_shape, index)
    return Comparison(
        layers=(index,),
        separable_params=sep.params,
        separable_macs=sep.macs,
        standard=std,
        formula_ratio=separable_ratio_formula(spec.out_channels, spec.kernel_size, spec.multiplier),
    )


def find_comparisons(layers: Sequence[LayerSpec], cost: StackCost) -> list[Comparison]:
    """Every separable layer, and every depthwise layer directly followed by a pointwise
    one (stride 1), compared with the standard conv that would replace it (the units are
    found by :func:`explorer.core.analysis.compare_plan.separable_run`)."""
    out: list[Comparison] = []
    counted = list(layers[: len(cost.layers)])
    for i, spec in enumerate(counted):
        run = separable_run(counted, i)
        if not run:
            continue
        sep = as_separable(run)
        std = layer_cost(
            _standard_for(spec, sep.out_channels, sep.bias), cost.layers[i].input_shape, i
        )
        costs = cost.layers[i : i + len(run)]
        out.append(
            Comparison(
                layers=tuple(range(i, i + len(run))),
                separable_params=sum(c.params for c in costs),
                separable_macs=sum(c.macs for c in costs),
                standard=std,
                formula_ratio=separable_ratio_formula(
                    sep.out_channels, sep.kernel_size, sep.multiplier
                ),
            )
        )
    return out
