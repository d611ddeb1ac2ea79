"""What to compare for a layer of the stack, as it is: :func:`plan_comparison`.

Used by the comparison window (:mod:`explorer.core.compute.compare` runs and times the plan)
and by the cost view's comparisons (:func:`explorer.core.analysis.costs.find_comparisons`).
This is the one module that knows which kinds make up a depthwise-separable unit
(:func:`separable_run`) and how it stands for one separable layer (:func:`as_separable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from explorer.core.model.specs import (
    DepthwiseSpec,
    LayerSpec,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
)
from explorer.core.text import shape_text

__all__ = ["ComparisonPlan", "as_separable", "plan_comparison", "separable_run"]


@dataclass(frozen=True)
class ComparisonPlan:
    """What to compare for one layer of a stack.

    Attributes
    ----------
    first
        The layer whose input is used (-1: the input image).
    standard
        The standard conv with the layer's settings.
    separable
        The depthwise-separable side, as layers run in order: one separable layer, or a
        depthwise layer and the pointwise layer after it.
    description
        What is compared, in words.
    """

    first: int
    standard: StandardSpec
    separable: tuple[LayerSpec, ...]
    description: str

    def with_changes(self, out_channels: int, kernel_size: int) -> ComparisonPlan:
        """The same comparison with another ``C_out`` and ``k`` (both sides)."""
        k = (int(kernel_size), int(kernel_size))
        c = int(out_channels)
        std = replace(self.standard, out_channels=c, kernel_size=k)
        sep = list(self.separable)
        if isinstance(sep[0], SeparableSpec):
            sep[0] = replace(sep[0], out_channels=c, kernel_size=k, weights=())
        else:
            sep[0] = replace(sep[0], kernel_size=k, weights=())
            sep[-1] = replace(sep[-1], out_channels=c, weights=())
        return replace(self, standard=std, separable=tuple(sep))


def separable_run(layers: Sequence[LayerSpec], index: int) -> tuple[LayerSpec, ...]:
    """The layers from ``index`` on that make one depthwise-separable unit: a separable
    layer alone, or a depthwise layer and the pointwise layer (stride 1) right after it;
    ``()`` when layer ``index`` starts none."""
    if not 0 <= index < len(layers):
        return ()
    spec = layers[index]
    if isinstance(spec, SeparableSpec):
        return (spec,)
    nxt = layers[index + 1] if index + 1 < len(layers) else None
    if isinstance(spec, DepthwiseSpec) and isinstance(nxt, PointwiseSpec) and nxt.stride == (1, 1):
        return (spec, nxt)
    return ()


def as_separable(run: Sequence[LayerSpec]) -> SeparableSpec:
    """The one separable layer that a :func:`separable_run` (or a comparison's separable
    side) stands for: itself, or the depthwise's geometry with the pointwise's channels,
    bias, BatchNorm and activation."""
    if isinstance(run[0], SeparableSpec):
        return run[0]
    dw, pw = run[0], run[-1]
    return SeparableSpec(
        out_channels=pw.out_channels,
        kernel_size=dw.kernel_size,
        stride=dw.stride,
        padding=dw.padding,
        dilation=dw.dilation,
        multiplier=dw.multiplier,
        bias=pw.bias,
        batch_norm=pw.batch_norm,
        activation=pw.activation,
    )


def _settings(spec: LayerSpec) -> str:
    parts = [f"stride {shape_text(spec.stride)}"]
    padding = spec.padding if hasattr(spec, "padding") else (0, 0)
    parts.append("'same' padding" if padding == "same" else f"padding {shape_text(padding)}")
    dilation = getattr(spec, "dilation", (1, 1))
    if dilation != (1, 1):
        parts.append(f"dilation {shape_text(dilation)}")
    parts.append("BatchNorm" if spec.batch_norm else "no BatchNorm")
    parts.append(f"activation {spec.activation}")
    parts.append("bias" if spec.bias else "no bias")
    return ", ".join(parts)


#: What a compared layer keeps of the layer it stands for, besides its geometry.
_OPTIONS = ("bias", "batch_norm", "activation")


def _conv_like(
    cls: type[StandardSpec] | type[SeparableSpec], spatial: Any, options: LayerSpec, out: int
) -> Any:
    """A ``cls`` layer to ``out`` channels with ``spatial``'s kernel, stride, padding and
    dilation and ``options``' bias, BatchNorm and activation."""
    return cls(
        out_channels=out,
        kernel_size=spatial.kernel_size,
        stride=spatial.stride,
        padding=spatial.padding,
        dilation=spatial.dilation,
        **{name: getattr(options, name) for name in _OPTIONS},
    )


def plan_comparison(layers: Sequence[LayerSpec], index: int, in_channels: int) -> ComparisonPlan:
    """The comparison for layer ``index`` as it is (``in_channels``: its input channels).

    * separable: itself against the standard k×k conv with the same out channels, stride,
      padding, dilation, bias, BatchNorm and activation;
    * depthwise followed by pointwise (or that pointwise): the pair, as the two layers,
      against the standard conv with the depthwise's geometry and the pointwise's out
      channels, bias, BatchNorm and activation;
    * standard: itself against the separable block with the same settings;
    * a lone depthwise: to ``C_in × multiplier`` channels; a lone pointwise: a 3×3 pair
      (padding 1) with its stride, bias, BatchNorm and activation;
    * any other kind (pool, activation, block, a kind added later): a 3×3 pair with
      'same' padding on the layer's input, to the layer's output channels.

    ``index`` out of range (nothing selected): 3×3, 16 channels, 'same' padding, on the
    input image.
    """
    if not 0 <= index < len(layers):
        std = StandardSpec(out_channels=16, kernel_size=3, padding="same")
        sep = SeparableSpec(out_channels=16, kernel_size=3, padding="same")
        return ComparisonPlan(-1, std, (sep,), f"3×3 convs, {_settings(std)}")
    spec = layers[index]
    prev = layers[index - 1] if index > 0 else None
    if isinstance(spec, PointwiseSpec) and isinstance(prev, DepthwiseSpec):
        return plan_comparison(layers, index - 1, in_channels)
    run = separable_run(layers, index)
    if len(run) == 2:
        nxt = run[1]
        std = _conv_like(StandardSpec, spec, nxt, nxt.out_channels)
        return ComparisonPlan(
            index,
            std,
            (spec, nxt),
            f"layers {index + 1}–{index + 2} as they are ({_settings(spec)} "
            f"then pointwise: {_settings(nxt)})",
        )
    if run:
        std = _conv_like(StandardSpec, spec, spec, spec.out_channels)
        return ComparisonPlan(
            index, std, (spec,), f"layer {index + 1} as it is ({_settings(spec)})"
        )
    if isinstance(spec, StandardSpec):
        sep = _conv_like(SeparableSpec, spec, spec, spec.out_channels)
        what = f"layer {index + 1} as it is ({_settings(spec)}"
        what += f", groups {spec.groups})" if spec.groups > 1 else ")"
        return ComparisonPlan(index, spec, (sep,), what)
    if isinstance(spec, DepthwiseSpec):
        out = in_channels * spec.multiplier
        std = _conv_like(StandardSpec, spec, spec, out)
        sep = _conv_like(SeparableSpec, spec, spec, out)
        return ComparisonPlan(
            index,
            std,
            (sep,),
            f"layer {index + 1}'s geometry ({_settings(spec)}), to {out} channels",
        )
    if not isinstance(spec, PointwiseSpec):  # a pool, an activation, a block, any other kind
        out = spec.out_channels_for(in_channels)
        std = StandardSpec(out_channels=out, kernel_size=3, padding="same")
        sep = SeparableSpec(out_channels=out, kernel_size=3, padding="same")
        return ComparisonPlan(
            index,
            std,
            (sep,),
            f"3×3 convs on layer {index + 1}'s input, to its {out} output channels "
            f"({_settings(std)})",
        )
    settings = {
        "out_channels": spec.out_channels,
        "kernel_size": 3,
        "stride": spec.stride,
        "padding": 1,
        **{name: getattr(spec, name) for name in _OPTIONS},
    }
    std, sep = StandardSpec(**settings), SeparableSpec(**settings)
    return ComparisonPlan(
        index, std, (sep,), f"3×3 convs with layer {index + 1}'s settings ({_settings(std)})"
    )
