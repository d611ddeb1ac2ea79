"""The walk-through: every step of what a layer computes, on a region of its real input.

:func:`build_walk` precomputes, for the output positions whose window is centred in a region
of interest of the layer's input, one :class:`Step` per thing a teacher would point at:

* standard (and grouped): the k×k window of each input channel of the output channel's
  group (padded cells marked), the kernel, the products and the running sum over kernel
  positions *and* input channels; then the bias, BatchNorm, activation and the output value;
* depthwise: one channel at a time, each with its own kernel (the channels never mix);
* pointwise: the C_in vector ``X[h,w,:]`` meeting the rows of the C_out×C_in matrix,
  ``Y[h,w,:] = Kᵀ·X[h,w,:]``, the same matrix at every pixel;
* separable: the depthwise steps, then the pointwise steps on the depthwise output.

Values are float64 numpy, computed from the layer's input and its weights (not read off the
feature map); tests compare every one with torch. Drawing and playing only read them.
Arrays are torch's ``(C, H, W)``; positions are ``(row, col)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from explorer.core.analysis.conv_chain import ConvStep, explained_steps
from explorer.core.analysis.inspect import BN_EPS, format_value
from explorer.core.analysis.walk_memory import check_walk_memory
from explorer.core.analysis.walkthrough_types import (
    DETAILS,
    MAX_CHANNEL_STEPS,
    MAX_POSITIONS,
    Geometry,
    Region,
    Step,
    Walk,
    default_region,
    geometry_of,
    output_positions,
    part_geometry,
    window_taps,
    window_values,
)
from explorer.core.errors import SpecError
from explorer.core.model.kinds.curves import PRELU_INIT, activation_curve
from explorer.core.model.kinds.parts import Activation, BatchNorm
from explorer.core.model.specs import LayerSpec

__all__ = [
    "DETAILS",
    "MAX_POSITIONS",
    "Region",
    "Step",
    "Walk",
    "build_walk",
    "default_region",
    "part_geometry",
]


def _blocks(channels: Sequence[int], most: int = MAX_CHANNEL_STEPS) -> list[tuple[int, ...]]:
    per = -(-len(channels) // most)
    return [tuple(int(c) for c in channels[i : i + per]) for i in range(0, len(channels), per)]


_EMPTY = np.zeros((0,))


def _post(value: np.ndarray, step: ConvStep) -> list[tuple[str, np.ndarray, str]]:
    """The BN and activation steps after a convolution: ``(phase, values, label)``."""
    out = []
    for part in step.post:
        if isinstance(part, BatchNorm):
            value = value / np.sqrt(1.0 + BN_EPS)
            out.append(("bn", value, "BatchNorm (eval: (v − 0)/√(1 + 1e−5)·1 + 0)"))
        elif isinstance(part, Activation) and part.function != "none":
            slope = PRELU_INIT if part.function == "prelu" else part.slope
            value = activation_curve(part.function, value, slope)
            out.append(("activation", value, part.function.replace("relu", "ReLU")))
    return out


class _Builder:
    """Appends steps; one instance per :func:`build_walk` call."""

    def __init__(self, spec: LayerSpec, out_channel: int) -> None:
        self.spec = spec
        self.chosen = out_channel
        self.steps: list[Step] = []
        self.position = 0
        self.row = self.col = 0
        #: the window of the current position (taps and channels read), for later steps
        self.context: dict[str, object] = {}
        #: the convolution computing now
        self.current: ConvStep | None = None

    def add(
        self,
        part: str,
        phase: str,
        running: float,
        values: np.ndarray,
        text: str,
        source: str = "X",
        **arrays: object,
    ) -> None:
        base: dict[str, object] = {
            "channels": (),
            "out_channel": self.chosen,
            "rows": _EMPTY,
            "cols": _EMPTY,
            "window": _EMPTY,
            "padded": _EMPTY,
            "kernel": _EMPTY,
            "products": _EMPTY,
            "vector": _EMPTY,
            "matrix": _EMPTY,
            "read_channels": (),
        }
        if not arrays.get("rows", _EMPTY).size:  # bias, BN, …: keep showing the window
            base.update(self.context)
        base.update(arrays)
        self.steps.append(
            Step(
                index=len(self.steps),
                position=self.position,
                row=self.row,
                col=self.col,
                part=part,
                phase=phase,
                running=float(running),
                values=values.copy(),
                text=text,
                source=source,
                result=self.current.result if self.current else "Y",
                per_channel=bool(self.current and self.current.conv.per_channel),
                **base,
            )
        )  # type: ignore[arg-type]

    def window_part(
        self,
        step: ConvStep,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None,
        geo: Geometry,
        chosen: int,
    ) -> np.ndarray:
        """Steps of a k×k convolution at the current position; returns its output vector."""
        part, groups = step.conv.group, step.conv.groups
        self.current = step
        c_out, c_in_g = weight.shape[:2]
        rows, cols, padded = window_taps(geo, self.row, self.col, x.shape[1:])
        win = window_values(x, rows, cols, padded)
        per_group = c_out // groups
        full = np.array(
            [
                np.sum(win[(o // per_group) * c_in_g : (o // per_group + 1) * c_in_g] * weight[o])
                for o in range(c_out)
            ]
        )
        values = np.full(c_out, np.nan)
        group = chosen // per_group
        read = tuple(range(group * c_in_g, (group + 1) * c_in_g))
        where = f"{step.result}[{self.row},{self.col},{{o}}]"
        self.context = {"rows": rows, "cols": cols, "read_channels": read}
        if step.conv.per_channel:  # depthwise: one channel at a time, each with its own kernel
            shown = _shown_channels(c_out, chosen)
            for o in shown:
                values[o] = full[o]
                ci = o // per_group
                self.add(
                    part,
                    "window",
                    values[chosen],
                    values,
                    f"{where.format(o=o)} = Σ window of channel {ci} × its own kernel {o} = "
                    f"{format_value(full[o])} (no other channel takes part)",
                    channels=(ci,),
                    out_channel=o,
                    rows=rows,
                    cols=cols,
                    window=win[ci],
                    padded=padded,
                    kernel=weight[o, 0],
                    products=win[ci] * weight[o, 0],
                    read_channels=(ci,),
                )
            rest = [o for o in range(c_out) if o not in shown]
            if rest:
                values[rest] = full[rest]
                self.add(
                    part,
                    "window",
                    values[chosen],
                    values,
                    f"the other {len(rest)} channels, each with its own kernel",
                    channels=tuple(r // per_group for r in rest),
                    rows=rows,
                    cols=cols,
                    read_channels=(chosen // per_group,),
                )
        else:  # the chosen output channel, summed over the input channels of its group
            running = 0.0
            for block in _blocks(read):
                local = [c - read[0] for c in block]
                prods = win[block[0] : block[-1] + 1] * weight[chosen, local[0] : local[-1] + 1]
                running += float(prods.sum())
                last = block[-1]
                over = f"c'={block[0]}" if len(block) == 1 else f"c'={block[0]}…{last}"
                self.add(
                    part,
                    "window",
                    running,
                    values,
                    f"{where.format(o=chosen)}: + Σ({over}) window·kernel = "
                    f"{format_value(prods.sum())}, running sum {format_value(running)}",
                    channels=block,
                    rows=rows,
                    cols=cols,
                    window=win[last],
                    padded=padded,
                    kernel=weight[chosen, local[-1]],
                    products=win[last] * weight[chosen, local[-1]],
                    read_channels=read,
                )
            values[:] = full
        return self.finish(step, values, bias)

    def matrix_part(
        self, step: ConvStep, vec: np.ndarray, weight: np.ndarray, bias: np.ndarray | None
    ) -> np.ndarray:
        """Steps of a 1×1 convolution at the current position: ``Y = Kᵀ·x``."""
        part, src = step.conv.group, step.source
        self.current = step
        matrix = weight.reshape(weight.shape[0], -1)
        self.context = {}
        full = matrix @ vec
        values = np.full(matrix.shape[0], np.nan)
        for block in _blocks(range(matrix.shape[0])):
            values[list(block)] = full[list(block)]
            rows = f"row {block[0]}" if len(block) == 1 else f"rows {block[0]}…{block[-1]}"
            self.add(
                part,
                "matrix",
                values[self.chosen],
                values,
                f"Y[{self.row},{self.col},{block[0]}…] = K[{rows}]·{src}[{self.row},{self.col},:]"
                f" (the same {matrix.shape[0]}×{matrix.shape[1]} matrix at every pixel)",
                source=src,
                channels=block,
                vector=vec,
                matrix=matrix,
            )
        return self.finish(step, full, bias)

    def finish(self, step: ConvStep, values: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        part = step.conv.group
        c = min(self.chosen, len(values) - 1)
        if bias is not None:
            values = values + bias
            self.add(
                part,
                "bias",
                values[c],
                values,
                f"+ b[{c}] ({format_value(bias[c])}) = {format_value(values[c])}",
            )
        for phase, after, label in _post(values, step):
            self.add(part, phase, after[c], after, f"{label} → {format_value(after[c])}")
            values = after
        return values


def _shown_channels(count: int, chosen: int, most: int = MAX_CHANNEL_STEPS) -> list[int]:
    start = max(0, min(chosen - most // 2, count - most))
    return list(range(start, min(count, start + most)))


def build_walk(
    spec: LayerSpec,
    x: np.ndarray,
    weights: Mapping[str, np.ndarray],
    *,
    region: Region | None = None,
    out_channel: int = 0,
    detail: str = "steps",
) -> Walk:
    """Precompute the walk-through of one layer.

    Parameters
    ----------
    spec
        The layer.
    x
        Its input ``(C_in, H, W)`` (the image for layer 1, else the previous layer's output).
    weights
        :func:`explorer.core.compute.build.layer_weights` of the layer (``LayerResult.weights``).
    region
        The region of interest in ``x``; ``None`` for :func:`default_region`.
    out_channel
        The output channel followed (the one whose map fills in).
    detail
        ``"steps"`` or ``"positions"`` (one step per position).

    Raises
    ------
    SpecError
        Naming the problem: an unknown kind, a region outside the input or with too many
        positions, an output channel that does not exist, weights that do not fit.
    ResourceError
        The walk would need more memory than the limit
        (:func:`explorer.core.analysis.walk_memory.check_walk_memory`).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise SpecError(f"the input must be (C, H, W), got shape {list(x.shape)}", field="input")
    if detail not in DETAILS:
        raise SpecError(f"detail must be one of {', '.join(DETAILS)}", field="detail")
    size = (int(x.shape[1]), int(x.shape[2]))
    chain = explained_steps(spec, int(x.shape[0]), "walk-through")
    geo = geometry_of(chain[0], size)
    region = region or default_region(spec, size)
    positions = output_positions(geo, region, size)
    w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    first = w[chain[0].weight]
    c_out = w[chain[-1].weight].shape[0]
    if not 0 <= out_channel < c_out:
        raise SpecError(
            f"output channel {out_channel} does not exist (the layer has {c_out}: 0…{c_out - 1})",
            field="channel",
        )
    if first.shape[1] * chain[0].conv.groups != x.shape[0]:
        raise SpecError(
            f"the weights {list(first.shape)} do not fit an input of {x.shape[0]} channels",
            field="weights",
        )
    if any(
        w[s.weight].ndim != 4
        or tuple(w[s.weight].shape) != (s.conv.c_out, s.conv.c_in // s.conv.groups, *geo_k)
        for s, geo_k in zip(chain, [geo.kernel] + [(1, 1)] * (len(chain) - 1), strict=True)
    ):
        raise SpecError(
            f"the weights {list(first.shape)} are not those of this layer "
            "(it was edited; run it again)",
            field="weights",
        )
    check_walk_memory((int(x.shape[0]), *size), _walk_parts(chain, w), len(positions))
    b = _Builder(spec, out_channel)
    outputs = np.zeros((len(positions), c_out))
    starts = []
    for p, (row, col) in enumerate(positions):
        b.position, b.row, b.col, b.context = p, row, col, {}
        starts.append(len(b.steps))
        out = np.zeros(0)
        for step in chain:
            weight, bias = w[step.weight], (w.get(step.bias) if step.bias else None)
            b.chosen = out_channel if step.last else min(out_channel, weight.shape[0] - 1)
            if step.conv.matrix:
                vec = x[:, row * geo.stride[0], col * geo.stride[1]] if step.first else out
                out = b.matrix_part(step, vec, weight, bias)
            else:
                out = b.window_part(step, x, weight, bias, geo, b.chosen)
        outputs[p] = out
        b.add(
            b.steps[-1].part,
            "output",
            out[out_channel],
            out,
            f"Y[{row},{col},{out_channel}] = {format_value(out[out_channel])}",
        )
    steps = tuple(b.steps)
    if detail == "positions":
        steps = tuple(
            _renumber(s, i) for i, s in enumerate(s for s in steps if s.phase == "output")
        )
        starts = list(range(len(steps)))
    out_h, out_w = geo.out_size
    return Walk(
        kind=spec.kind,
        out_channel=out_channel,
        region=region,
        detail=detail,
        x=x,
        positions=tuple(positions),
        steps=steps,
        outputs=outputs,
        out_shape=(c_out, out_h, out_w),
        geometry=geo,
        first_step=tuple(starts),
        reads_pixel=chain[0].conv.matrix,
    )


def _walk_parts(chain: Sequence[ConvStep], w: Mapping[str, np.ndarray]) -> list:
    """``(c_out, channels read, kh, kw, weight values)`` of each part, for
    :func:`explorer.core.analysis.walk_memory.walk_memory_bytes`."""
    parts = []
    for s in chain:
        c_out, c_in_g, kh, kw = (int(v) for v in w[s.weight].shape)
        parts.append((c_out, c_in_g * s.conv.groups, kh, kw, int(w[s.weight].size) + c_out))
    return parts


def _renumber(step: Step, index: int) -> Step:
    from dataclasses import replace

    return replace(step, index=index)
