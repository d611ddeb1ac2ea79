"""Warm per-layer timing: warm-up runs, then the median and spread of several timed runs.

The one forward pass that computes a layer for display includes first-call set-up (kernel
selection, memory allocation, lazy initialisation), which can be 100 times the layer's
real cost. Every time the app, the comparison window and ``conv-explorer stats --time``
show is measured here instead:

* each layer runs on its **real input** (the previous layer's output);
* ``warmup`` untimed runs first, then ``repeats`` timed runs;
* the **median** is the time shown, the **interquartile range** (middle half of the
  runs) and min–max are the spread.

:func:`layer_timings` is a plain generator (no Qt), so a worker can stop it between runs
when the user edits the stack.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from explorer.core.model.specs import LayerSpec

__all__ = [
    "DEFAULT_REPEATS",
    "add_times",
    "default_threads",
    "DEFAULT_WARMUP",
    "Timing",
    "layer_timings",
    "method_text",
    "sample_forward",
    "time_layer",
    "time_stack",
]

DEFAULT_WARMUP = 2
DEFAULT_REPEATS = 7


@dataclass(frozen=True)
class Timing:
    """The timed runs of one forward pass, in seconds.

    Attributes
    ----------
    samples
        Every timed run, in the order they ran.
    warmup
        Untimed runs before them.
    device
        Where they ran (``"cpu"``, ``"cuda"``).
    threads
        torch's intra-op CPU threads while they ran (0: not recorded).
    """

    samples: tuple[float, ...]
    warmup: int = DEFAULT_WARMUP
    device: str = "cpu"
    threads: int = 0

    def __post_init__(self) -> None:
        if not self.samples:
            raise ValueError("a timing needs at least one timed run")

    @property
    def repeats(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def minimum(self) -> float:
        return min(self.samples)

    @property
    def maximum(self) -> float:
        return max(self.samples)

    @property
    def quartiles(self) -> tuple[float, float]:
        """First and third quartile (``(median, median)`` for fewer than two runs)."""
        if len(self.samples) < 2:
            return self.median, self.median
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q[0], q[2]

    def as_dict(self) -> dict:
        """Milliseconds, for JSON: median, q1, q3, min, max, repeats, warmup."""
        q1, q3 = self.quartiles
        return {
            "median": self.median * 1e3,
            "q1": q1 * 1e3,
            "q3": q3 * 1e3,
            "min": self.minimum * 1e3,
            "max": self.maximum * 1e3,
            "repeats": self.repeats,
            "warmup": self.warmup,
            "device": self.device,
            "threads": self.threads,
        }

    def text(self) -> str:
        """``"1.02 ms (IQR 0.98–1.10, min–max 0.95–1.31; median of 7 after 2 warm-ups)"``."""
        q1, q3 = self.quartiles
        return (
            f"{self.median * 1e3:.2f} ms (IQR {q1 * 1e3:.2f}–{q3 * 1e3:.2f}, min–max "
            f"{self.minimum * 1e3:.2f}–{self.maximum * 1e3:.2f}; {method_text(self)})"
        )


def method_text(timing: Timing) -> str:
    """``"median of 7 runs after 2 warm-ups on the CPU"``."""
    if timing.device.startswith("cuda"):
        where = "the GPU"
    else:
        n = timing.threads
        where = f"the CPU ({n} thread{'s' * (n != 1)})" if n else "the CPU"
    return f"median of {timing.repeats} runs after {timing.warmup} warm-ups on {where}"


def default_threads(cpus: int | None = None) -> int | None:
    """torch CPU threads for timing, as the app runs layers: every core but one (the other
    stays with the GUI; waiting OpenMP threads spin and fight over a busy machine's cores).
    ``None`` (leave torch alone) when ``OMP_NUM_THREADS`` is set."""
    import os

    if os.environ.get("OMP_NUM_THREADS"):
        return None
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    return max(1, cpus - 1)


def _sync(device: object) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def sample_forward(
    module: object,
    x: object,
    *,
    warmup: int = DEFAULT_WARMUP,
    repeats: int = DEFAULT_REPEATS,
    should_abort: Callable[[], bool] | None = None,
) -> Timing | None:
    """Time ``module(x)``: ``warmup`` untimed runs, then ``repeats`` timed ones.

    ``x`` is a batch ``(N, C, H, W)`` or one ``(C, H, W)`` image (numpy or torch), moved
    to the module's device. Returns ``None`` when ``should_abort`` said stop (checked
    before every run).
    """
    import torch

    from explorer.core.compute.devices import _to_tensor

    if isinstance(x, np.ndarray):
        x = _to_tensor(x)
    if x.ndim == 3:
        x = x[None]
    param = next(iter(module.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    x = x.to(device)
    times: list[float] = []
    with torch.inference_mode():
        for i in range(max(0, warmup) + max(1, repeats)):
            if should_abort is not None and should_abort():
                return None
            _sync(device)
            start = time.perf_counter()
            module(x)
            _sync(device)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    threads = torch.get_num_threads() if device.type == "cpu" else 0
    return Timing(tuple(times), warmup=max(0, warmup), device=device.type, threads=threads)


def time_layer(
    spec: LayerSpec,
    x: np.ndarray,
    *,
    seed: int = 0,
    index: int = 0,
    warmup: int = DEFAULT_WARMUP,
    repeats: int = DEFAULT_REPEATS,
    device: str | None = None,
    should_abort: Callable[[], bool] | None = None,
) -> Timing | None:
    """Time layer ``index`` of a scene with ``seed`` (built as
    :func:`explorer.core.compute.run.run_stack` builds it) on its input ``x`` ``(C, H, W)``.

    ``None`` when ``should_abort`` said stop.
    """
    from explorer.core.compute.build import build_layer
    from explorer.core.compute.devices import pick_device

    x = np.asarray(x)
    module = build_layer(spec, int(x.shape[0]), seed=seed, index=index).to(device or pick_device())
    return sample_forward(module, x, warmup=warmup, repeats=repeats, should_abort=should_abort)


def layer_timings(
    layers: Sequence[LayerSpec],
    image: np.ndarray,
    seed: int = 0,
    *,
    warmup: int = DEFAULT_WARMUP,
    repeats: int = DEFAULT_REPEATS,
    device: str | None = None,
    should_abort: Callable[[], bool] | None = None,
) -> Iterator[tuple[int, Timing]]:
    """Yield ``(index, Timing)`` of each layer of a stack, each on its real input.

    The layers are built exactly as :func:`explorer.core.compute.run.run_stack` builds them
    (same seed, same weights). Stops early (yielding nothing more) when ``should_abort``
    returns true.

    Raises
    ------
    SpecError, ResourceError
        As :func:`explorer.core.compute.run.run_stack`, before anything runs.
    """
    import torch

    from explorer.core.analysis.costs import stack_cost
    from explorer.core.analysis.memory import check_memory
    from explorer.core.compute.build import build_layer, layer_out_channels
    from explorer.core.compute.devices import pick_device

    image = np.asarray(image, dtype=np.float32)
    check_memory(stack_cost(image.shape, layers))
    device = device or pick_device()
    x = torch.from_numpy(np.ascontiguousarray(image))[None].to(device)
    channels = int(image.shape[0])
    for index, spec in enumerate(layers):
        if should_abort is not None and should_abort():
            return
        module = build_layer(spec, channels, seed=seed, index=index).to(device)
        timing = sample_forward(
            module, x, warmup=warmup, repeats=repeats, should_abort=should_abort
        )
        if timing is None:
            return
        yield index, timing
        with torch.inference_mode():
            x = module(x)
        channels = layer_out_channels(spec, channels)


def time_stack(
    layers: Sequence[LayerSpec], image: np.ndarray, seed: int = 0, **kwargs: object
) -> list[Timing]:
    """Every layer's :class:`Timing` (see :func:`layer_timings`)."""
    return [timing for _, timing in layer_timings(layers, image, seed, **kwargs)]


def add_times(
    data: dict, layers: Sequence[LayerSpec], image: np.ndarray, seed: int = 0, **kwargs: object
) -> None:
    """Add warm times to a ``conv-explorer stats --json`` object: ``time_ms`` (the median)
    and ``time`` (:meth:`Timing.as_dict`) per layer, ``time_ms`` to the total, and
    ``timing`` (how it was measured). Uses :func:`default_threads`, as the app does."""
    import torch

    threads = default_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    timings = time_stack(layers, image, seed, **kwargs)
    for layer, timing in zip(data["layers"], timings, strict=True):
        layer["time_ms"] = timing.median * 1e3
        layer["time"] = timing.as_dict()
    data["total"]["time_ms"] = sum(t.median for t in timings) * 1e3
    method = method_text(timings[0]) if timings else "no layers"
    data["timing"] = {"method": f"warm, each layer on its real input, {method}", "unit": "ms"}
