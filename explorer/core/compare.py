"""Standard vs depthwise-separable, side by side, with **measured** time.

The same input goes through a standard k×k conv and through depthwise k×k + pointwise 1×1
(one :class:`~explorer.core.specs.SeparableSpec`) to the same output channels. Both are
built by :func:`explorer.core.build.build_layer` (seeded, eval mode) and timed with
:func:`explorer.core.run.measure_forward`. The MAC ratio is ``1/C_out + 1/k²``, but fewer
MACs is not always less time: on a CPU depthwise and 1×1 layers are limited by memory
traffic, not arithmetic. :attr:`ComparisonResult.summary` says which happened here.

Timing: two untimed warm-up runs of each, then ``repeats`` timed runs **alternating**
standard and separable (so a busy machine slows both alike), and the median of each.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .costs import LayerCost, separable_ratio_formula, stack_cost
from .errors import SpecError
from .specs import LayerSpec, SeparableSpec, StandardSpec

__all__ = ["ComparisonResult", "compare_blocks", "speed_summary", "time_layers"]


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
        From :func:`explorer.core.costs.stack_cost`.
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
    def summary(self) -> str:
        """One sentence that states what was measured against what was counted."""
        return speed_summary(self.mac_reduction, self.speedup, self.device)


def speed_summary(mac_reduction: float, speedup: float, device: str) -> str:
    """``"8.4× fewer MACs, but only 2.1× faster here on the CPU: …"``, chosen by how the
    measured speed-up compares with the MAC reduction."""
    where = "on the GPU" if device.startswith("cuda") else f"on the {device.upper()}"
    fewer = f"{mac_reduction:.1f}× fewer MACs"
    why = "depthwise and 1×1 layers are limited by memory traffic, not arithmetic"
    if speedup >= 0.75 * mac_reduction:
        return (
            f"{fewer} and {speedup:.1f}× faster here {where}: the saved arithmetic is saved time."
        )
    if speedup > 1.05:
        return f"{fewer}, but only {speedup:.1f}× faster here {where}: {why}."
    if speedup >= 0.95:
        return f"{fewer}, yet no faster here {where}: {why}."
    return f"{fewer}, yet {1 / speedup:.1f}× slower here {where}: {why}."


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


def compare_blocks(
    in_shape: Sequence[int] | None,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    *,
    stride: int = 1,
    padding: int | str = "same",
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
    out_channels, kernel_size, stride, padding, bias
        Of both versions (``padding="same"`` needs stride 1).
    image
        ``(C, H, W)`` input, e.g. the current image or a layer's output.
    seed
        Seeds the weights (layer 0 of a scene with this seed) and the random input.
    repeats
        Timed runs of each (median reported).
    device
        ``"cpu"`` or ``"cuda"``; ``None``: :func:`explorer.core.run.pick_device`.

    Raises
    ------
    SpecError
        When the layers cannot run on that input.
    ResourceError
        When running them would need more memory than the configured limit.
    """
    import torch

    from .build import build_layer
    from .memory import check_memory
    from .run import measure_forward, pick_device

    x_np = _input(in_shape, image, seed)
    shape = (int(x_np.shape[0]), int(x_np.shape[1]), int(x_np.shape[2]))
    common = {
        "out_channels": out_channels,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "bias": bias,
    }
    standard = StandardSpec(**common)
    separable = SeparableSpec(**common)
    costs = [stack_cost(shape, [spec]) for spec in (standard, separable)]
    for cost in costs:
        check_memory(cost)
    device = device or pick_device()
    modules = [
        build_layer(spec, shape[0], seed=seed, index=0).to(device) for spec in (standard, separable)
    ]
    x = torch.from_numpy(np.ascontiguousarray(x_np))[None].to(device)
    with torch.inference_mode():
        outputs = [m(x)[0].to("cpu", torch.float32).numpy() for m in modules]
    for m in modules:
        measure_forward(m, x, warmup=2, repeats=1)
    times: list[list[float]] = [[], []]
    for _ in range(max(1, int(repeats))):
        for i, m in enumerate(modules):
            times[i].append(measure_forward(m, x, warmup=0, repeats=1))
    return ComparisonResult(
        input_shape=shape,
        standard=standard,
        separable=separable,
        standard_output=outputs[0],
        separable_output=outputs[1],
        standard_cost=costs[0].layers[0],
        separable_cost=costs[1].layers[0],
        formula_ratio=separable_ratio_formula(out_channels, standard.kernel_size),
        standard_seconds=statistics.median(times[0]),
        separable_seconds=statistics.median(times[1]),
        repeats=max(1, int(repeats)),
        device=str(device),
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
    (the previous layer's output), for the main window's per-layer times.

    Raises
    ------
    SpecError, ResourceError
        As :func:`explorer.core.run.run_stack`.
    """
    import torch

    from .build import build_layer, layer_out_channels
    from .memory import check_memory
    from .run import measure_forward, pick_device

    image = np.asarray(image, dtype=np.float32)
    check_memory(stack_cost(image.shape, layers))
    device = device or pick_device()
    x = torch.from_numpy(np.ascontiguousarray(image))[None].to(device)
    channels = int(image.shape[0])
    seconds = []
    for index, spec in enumerate(layers):
        module = build_layer(spec, channels, seed=seed, index=index).to(device)
        seconds.append(measure_forward(module, x, warmup=2, repeats=repeats))
        with torch.inference_mode():
            x = module(x)
        channels = layer_out_channels(spec, channels)
    return seconds
