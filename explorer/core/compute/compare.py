"""Standard vs depthwise-separable, side by side, with **measured** time.

The same input goes through a standard k×k conv and through depthwise k×k + pointwise 1×1
(one :class:`~explorer.core.model.specs.SeparableSpec`) to the same output channels. Both are
built by :func:`explorer.core.compute.build.build_layer` (seeded, eval mode) and timed with
:func:`explorer.core.compute.run.measure_forward`. The MAC ratio is ``1/C_out + 1/k²``, but fewer
MACs is not always less time: on a CPU depthwise and 1×1 layers are limited by memory
traffic, not arithmetic. :attr:`ComparisonResult.summary` says which happened here.

Timing (:mod:`explorer.core.compute.timing`, the same code as the main window's per-layer times
and ``stats --time``): two untimed warm-up runs of each, then ``repeats`` timed runs
**alternating** standard and separable (so a busy machine slows both alike); the median of
each is the time shown, the interquartile range its spread.

:func:`plan_comparison` picks what to compare for a layer of the stack **as it is**: its
stride, padding, dilation, bias, BatchNorm and activation, against the standard conv with
the same settings (a depthwise → pointwise pair is compared as the two layers it is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from explorer.core.analysis.compare_plan import ComparisonPlan, as_separable, plan_comparison
from explorer.core.analysis.costs import LayerCost, separable_ratio_formula, stack_cost
from explorer.core.compute.timing import DEFAULT_WARMUP, Timing
from explorer.core.errors import SpecError
from explorer.core.model.specs import LayerSpec, SeparableSpec, StandardSpec

__all__ = [
    "ComparisonPlan",
    "ComparisonResult",
    "compare_blocks",
    "compare_specs",
    "plan_comparison",
    "speed_summary",
    "speed_words",
    "time_layers",
]


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """Both ways of getting ``out_channels`` k×k features from the same input.

    Attributes
    ----------
    standard, separable
        The two specs compared (the separable one has the same stride, padding and bias).
    standard_output, separable_output
        Feature maps ``(C_out, H_out, W_out)`` float32.
    standard_cost, separable_cost
        From :func:`explorer.core.analysis.costs.stack_cost`.
    formula_ratio
        ``1/C_out + 1/k²`` (separable MACs / standard MACs by the formula).
    standard_seconds, separable_seconds
        Median measured forward time on ``device``.
    """

    input_shape: tuple[int, int, int]
    standard: StandardSpec
    separable: SeparableSpec
    standard_output: np.ndarray
    separable_output: np.ndarray
    standard_cost: LayerCost
    separable_cost: LayerCost
    formula_ratio: float
    standard_seconds: float
    separable_seconds: float
    repeats: int
    device: str
    standard_timing: Timing | None = None
    separable_timing: Timing | None = None
    #: The layers run on the separable side (one separable layer, or depthwise + pointwise).
    separable_layers: tuple[LayerSpec, ...] = field(default=())

    @property
    def macs_ratio(self) -> float:
        """Separable MACs / standard MACs (counted; equals ``formula_ratio``)."""
        return self.separable_cost.macs / self.standard_cost.macs

    @property
    def params_ratio(self) -> float:
        """Separable params / standard params (biases included)."""
        return self.separable_cost.params / self.standard_cost.params

    @property
    def mac_reduction(self) -> float:
        """How many times fewer MACs the separable version needs."""
        return self.standard_cost.macs / self.separable_cost.macs

    @property
    def speedup(self) -> float:
        """Measured: standard time / separable time (> 1: separable is faster)."""
        return self.standard_seconds / self.separable_seconds

    @property
    def speed_words(self) -> str:
        """``"1.06× faster"`` / ``"1.06× slower"``: the one rounding used everywhere."""
        return speed_words(self.speedup)

    @property
    def summary(self) -> str:
        """One sentence that states what was measured against what was counted."""
        return speed_summary(self.mac_reduction, self.speedup, self.device)


def speed_words(speedup: float) -> str:
    """Measured speed-up in words with two decimals: ``"1.06× faster"``, ``"1.06× slower"``,
    ``"equally fast (1.00×)"``. The headline and the detail of the comparison both use it."""
    if round(speedup, 2) == 1.0 or round(1 / speedup, 2) == 1.0:
        return "equally fast (1.00×)"
    if speedup > 1:
        return f"{speedup:.2f}× faster"
    return f"{1 / speedup:.2f}× slower"


def speed_summary(mac_reduction: float, speedup: float, device: str) -> str:
    """``"8.4× fewer MACs, but only 2.1× faster here on the CPU: …"``, chosen by how the
    measured speed-up compares with the MAC reduction."""
    where = "on the GPU" if device.startswith("cuda") else f"on the {device.upper()}"
    fewer = f"{mac_reduction:.1f}× fewer MACs"
    why = "depthwise and 1×1 layers are limited by memory traffic, not arithmetic"
    words = speed_words(speedup)
    if speedup >= 0.75 * mac_reduction:
        return f"{fewer} and {words} here {where}: the saved arithmetic is saved time."
    if speedup > 1.05:
        return f"{fewer}, but only {words} here {where}: {why}."
    if speedup >= 0.95:
        return f"{fewer}, yet about as fast here {where} (separable {words}): {why}."
    return f"{fewer}, yet {words} here {where}: {why}."


def _input(in_shape: Sequence[int] | None, image: np.ndarray | None, seed: int) -> np.ndarray:
    if image is not None:
        image = np.asarray(image, dtype=np.float32)
        if image.ndim != 3:
            raise SpecError(
                f"image must be (C, H, W), got shape {list(image.shape)}", field="input"
            )
        if in_shape is not None and tuple(in_shape) != image.shape:
            raise SpecError(
                f"in_shape {list(in_shape)} does not match the image {list(image.shape)}",
                field="input",
            )
        return image
    if in_shape is None or len(in_shape) != 3:
        raise SpecError(f"in_shape must be (C, H, W), got {in_shape!r}", field="input")
    rng = np.random.default_rng(seed)
    return rng.standard_normal(tuple(int(v) for v in in_shape)).astype(np.float32)


def _joined_cost(costs: Sequence[LayerCost]) -> LayerCost:
    """One :class:`LayerCost` for layers run one after the other (a depthwise → pointwise
    pair counted as one block)."""
    if len(costs) == 1:
        return costs[0]
    return replace(
        costs[0],
        kind="+".join(c.kind for c in costs),
        output_shape=costs[-1].output_shape,
        params=sum(c.params for c in costs),
        macs=sum(c.macs for c in costs),
        bias_adds=sum(c.bias_adds for c in costs),
        activation_bytes=sum(c.activation_bytes for c in costs),
        receptive_field=costs[-1].receptive_field,
        jump=costs[-1].jump,
        parts=tuple(p for c in costs for p in c.parts),
    )


def compare_specs(
    standard: StandardSpec,
    separable: Sequence[LayerSpec],
    image: np.ndarray,
    *,
    seed: int = 0,
    repeats: int = 7,
    device: str | None = None,
    first_index: int = 0,
) -> ComparisonResult:
    """Run and time ``standard`` and the ``separable`` layers (in order) on ``image``.

    Weights are seeded as layer ``first_index`` (and the next) of a scene with ``seed``,
    so a layer of the stack compared as it is shows its own weights.

    Raises
    ------
    SpecError
        When the layers cannot run on that input.
    ResourceError
        When running them would need more memory than the configured limit.
    """
    import torch

    from explorer.core.analysis.memory import check_memory
    from explorer.core.compute.build import build_layer
    from explorer.core.compute.run import pick_device
    from explorer.core.compute.timing import sample_forward

    x_np = _input(None, image, seed)
    shape = (int(x_np.shape[0]), int(x_np.shape[1]), int(x_np.shape[2]))
    separable = tuple(separable)
    if not separable:
        raise SpecError("nothing to compare: no separable layers given", field="kind")
    std_cost = stack_cost(shape, [standard])
    sep_cost = stack_cost(shape, separable)
    check_memory(std_cost)
    check_memory(sep_cost)
    device = device or pick_device()
    index = max(0, first_index)
    std_module = build_layer(standard, shape[0], seed=seed, index=index).to(device)
    sep_parts, channels = [], shape[0]
    for i, (spec, cost) in enumerate(zip(separable, sep_cost.layers, strict=True)):
        sep_parts.append(build_layer(spec, channels, seed=seed, index=index + i).to(device))
        channels = cost.output_shape[0]
    sep_module = torch.nn.Sequential(*sep_parts)
    modules = (std_module, sep_module)
    x = torch.from_numpy(np.ascontiguousarray(x_np))[None].to(device)
    with torch.inference_mode():
        outputs = [m(x)[0].to("cpu", torch.float32).numpy() for m in modules]
    for m in modules:
        sample_forward(m, x, warmup=DEFAULT_WARMUP - 1, repeats=1)
    samples: list[list[float]] = [[], []]
    repeats = max(1, int(repeats))
    for _ in range(repeats):  # alternate, so a busy machine slows both alike
        for i, m in enumerate(modules):
            one = sample_forward(m, x, warmup=0, repeats=1)
            samples[i].extend(one.samples)
    dev = torch.device(device).type
    threads = torch.get_num_threads() if dev == "cpu" else 0
    timings = [
        Timing(tuple(t), warmup=DEFAULT_WARMUP, device=dev, threads=threads) for t in samples
    ]
    sep_spec = as_separable(separable)
    return ComparisonResult(
        input_shape=shape,
        standard=standard,
        separable=sep_spec,
        standard_output=outputs[0],
        separable_output=outputs[1],
        standard_cost=std_cost.layers[0],
        separable_cost=_joined_cost(sep_cost.layers),
        formula_ratio=separable_ratio_formula(
            sep_spec.out_channels, sep_spec.kernel_size, sep_spec.multiplier
        ),
        standard_seconds=timings[0].median,
        separable_seconds=timings[1].median,
        repeats=repeats,
        device=str(device),
        standard_timing=timings[0],
        separable_timing=timings[1],
        separable_layers=separable,
    )


def compare_blocks(
    in_shape: Sequence[int] | None,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    *,
    stride: int = 1,
    padding: int | str = "same",
    dilation: int = 1,
    batch_norm: bool = False,
    activation: str = "none",
    image: np.ndarray | None = None,
    seed: int = 0,
    repeats: int = 7,
    device: str | None = None,
    bias: bool = True,
) -> ComparisonResult:
    """Run and time a standard k×k conv and its depthwise-separable replacement.

    Parameters
    ----------
    in_shape
        ``(C, H, W)`` of a seeded random input; ignored (may be ``None``) when ``image`` is
        given.
    out_channels, kernel_size, stride, padding, dilation, bias, batch_norm, activation
        Of both versions (``padding="same"`` needs stride 1).
    image
        ``(C, H, W)`` input, e.g. the current image or a layer's output.
    seed
        Seeds the weights (layer 0 of a scene with this seed) and the random input.
    repeats
        Timed runs of each (median reported).
    device
        ``"cpu"`` or ``"cuda"``; ``None``: :func:`explorer.core.compute.run.pick_device`.

    Raises
    ------
    SpecError
        When the layers cannot run on that input.
    ResourceError
        When running them would need more memory than the configured limit.
    """
    x_np = _input(in_shape, image, seed)
    common = {
        "out_channels": out_channels,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "bias": bias,
        "batch_norm": batch_norm,
        "activation": activation,
    }
    return compare_specs(
        StandardSpec(**common),
        (SeparableSpec(**common),),
        x_np,
        seed=seed,
        repeats=repeats,
        device=device,
    )


def time_layers(
    layers: Sequence[LayerSpec],
    image: np.ndarray,
    seed: int = 0,
    *,
    repeats: int = 7,
    device: str | None = None,
) -> list[float]:
    """Median forward time in seconds of each layer of a stack, each on its real input
    (:func:`explorer.core.compute.timing.time_stack`, which also gives the spread).

    Raises
    ------
    SpecError, ResourceError
        As :func:`explorer.core.compute.run.run_stack`.
    """
    from explorer.core.compute.timing import time_stack

    return [t.median for t in time_stack(layers, image, seed, repeats=repeats, device=device)]
