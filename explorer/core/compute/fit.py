"""Fitting: train the stack's weights toward a target, one step at a time.

:func:`fit_stack` is a plain generator (no Qt), like :func:`explorer.core.compute.run.run_stack`:
it yields a :class:`FitStep` after every optimiser step and *returns* a :class:`FitResult`
(``StopIteration.value``; :func:`run_fit` collects it). A worker thread can show the loss as
it falls, ask for a snapshot of the weights when the window is ready to draw one
(``want_snapshot``), pause by not asking for the next step, and stop at any time
(``should_abort``).

The fit works on the torch modules :func:`explorer.core.compute.build.build_stack` makes and trains
the parameters the scene can store (:mod:`explorer.core.compute.fit_params`: ``WEIGHT_TARGETS``,
BatchNorm's γ and β, a block's inner layers): nothing here is written per layer kind. The layers before the first trained one run once. The best weights
seen are kept: a fit that is stopped, or that diverges (a loss that is NaN or infinite),
ends with them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from explorer.core.compute.build import build_layer, build_stack, layer_out_channels
from explorer.core.compute.fit_optim import SGD, Adam
from explorer.core.compute.fit_options import LOSSES, OPTIMIZERS, FitOptions
from explorer.core.compute.fit_params import fitted_layers, without_fit_weights
from explorer.core.compute.fit_params import trainable_parameters as _trainable
from explorer.core.compute.fit_targets import FitError
from explorer.core.model.specs import LayerSpec

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "FitOptions",
    "FitResult",
    "FitStep",
    "fit_stack",
    "fitted_layers",
    "run_fit",
    "trainable_parameters",
]

#: Most values one fitted tensor may have: it is stored inline in the scene file.
MAX_FIT_VALUES = 1 << 20


@dataclass(frozen=True)
class FitStep:
    """One optimiser step.

    Attributes
    ----------
    step
        Steps done so far (1 after the first).
    loss
        The loss before this step's update.
    best_loss
        The lowest loss so far.
    relative_error
        ``loss / spread of the target`` (variance for MSE, mean absolute deviation for L1).
    layers
        With a snapshot: the stack with the current weights inline; else ``None``.
    output
        With a snapshot: the stack's output ``(C, H, W)`` float32 before this update.
    """

    step: int
    loss: float
    best_loss: float
    relative_error: float
    layers: tuple[LayerSpec, ...] | None = None
    output: np.ndarray | None = None


@dataclass(frozen=True)
class FitResult:
    """How a fit ended.

    ``layers`` holds the best weights inline; ``reason`` is ``"done"``, ``"stopped"`` or
    ``"diverged"``; ``losses`` is the loss of every step; ``output`` and ``residual``
    (output − target) are for the best weights.
    """

    layers: tuple[LayerSpec, ...]
    loss_start: float
    loss_end: float
    relative_error: float
    steps: int
    best_step: int
    seconds: float
    reason: str
    message: str
    losses: tuple[float, ...] = field(repr=False)
    output: np.ndarray = field(repr=False)
    residual: np.ndarray = field(repr=False)
    trained: tuple[int, ...] = ()


def trainable_parameters(
    module: nn.Sequential, layers: Sequence[LayerSpec], options: FitOptions
) -> dict[int, dict[str, nn.Parameter]]:
    """The parameters a fit trains, by layer index then weight target (``"weight"``,
    ``"pointwise.bias"``, ``"bn.weight"``, a block's ``"2.weight"`` …): those the scene can
    store (:mod:`explorer.core.compute.fit_params`), of the layers not frozen, biases only with
    ``train_bias``."""
    return _trainable(module, layers, options.frozen, options.train_bias)


def _loss_fn(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    return nn.functional.mse_loss if name == "mse" else nn.functional.l1_loss


def _spread(target: np.ndarray, loss: str) -> float:
    t = np.asarray(target, dtype=np.float64)
    return float(t.var()) if loss == "mse" else float(np.abs(t - t.mean()).mean())


def _build(
    layers: Sequence[LayerSpec], channels: int, seed: int, options: FitOptions
) -> nn.Sequential:
    """The stack; with ``options.seed``, the layers that train get fresh random weights
    drawn with that seed (as a scene with that seed would have)."""
    module = build_stack(layers, channels, seed=seed)
    if options.seed is None:
        return module
    trained = trainable_parameters(module, layers, options)
    for index, spec in enumerate(layers):
        if index in trained:
            fresh = build_layer(without_fit_weights(spec), channels, seed=options.seed, index=index)
            module[index] = fresh
        channels = layer_out_channels(spec, channels)
    return module.eval()


def _to_tensor(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(np.array(array, dtype=np.float32, copy=True)).to(dtype)[None]


def fit_stack(
    layers: Sequence[LayerSpec],
    image: np.ndarray,
    target: np.ndarray,
    options: FitOptions | None = None,
    *,
    seed: int = 0,
    should_abort: Callable[[], bool] | None = None,
    want_snapshot: Callable[[], bool] | None = None,
) -> Iterator[FitStep]:
    """Train ``layers`` on ``image`` toward ``target``; yield a :class:`FitStep` per step.

    Parameters
    ----------
    layers
        The stack (its current weights are the starting point unless ``options.seed``).
    image
        The input ``(C, H, W)``.
    target
        What the stack's output should be, of its shape (see
        :func:`explorer.core.compute.fit_targets.make_target`).
    options
        See :class:`FitOptions` (``None``: the defaults).
    seed
        The scene's seed (the random weights of layers without set weights).
    should_abort
        Checked before each step; true stops the fit (its best weights are kept).
    want_snapshot
        Checked after each step; true puts the current weights and output in that step.

    Returns
    -------
    FitResult
        As the generator's return value.

    Raises
    ------
    FitError
        Before the first step: nothing to train, a target of the wrong shape, a layer too
        big to store inline, bad options.
    ResourceError
        Before anything is built: the fit would need more memory than the limit
        (:func:`explorer.core.analysis.fit_memory.check_fit_memory`).
    SpecError
        If the stack cannot run on the image.
    """
    from explorer.core.analysis.costs import stack_cost
    from explorer.core.analysis.fit_memory import check_fit_memory
    from explorer.core.compute.fit_targets import check_target_shape

    options = options if options is not None else FitOptions()
    options.check()
    image = np.asarray(image)
    cost = stack_cost(image.shape, layers)  # SpecError if the stack cannot run
    if not layers:
        raise FitError("nothing to train: the stack has no layers")
    target = np.array(target, dtype=np.float32, copy=True)  # writable, ours
    check_target_shape(target, cost.output_shape, "target")
    frozen = frozenset(options.frozen)
    check_fit_memory(cost, frozen=frozen, optimizer=options.optimizer, float64=options.float64)
    start_time = time.perf_counter()
    dtype = torch.float64 if options.float64 else torch.float32
    module = _build(layers, int(image.shape[0]), seed, options).to(dtype)
    for p in module.parameters():
        p.requires_grad_(False)
    by_layer = trainable_parameters(module, layers, options)
    if not by_layer:
        raise FitError("nothing to train: every layer is frozen or has no weights to fit")
    params = [p for group in by_layer.values() for p in group.values()]
    for index, group in by_layer.items():
        for name, p in group.items():
            if p.numel() > MAX_FIT_VALUES:
                raise FitError(
                    f"layer {index + 1}: {name!r} has {p.numel():,} values, more than the "
                    f"{MAX_FIT_VALUES:,} a scene stores inline; freeze that layer"
                )
        for p in group.values():
            p.requires_grad_(True)
    first = min(by_layer)
    x = _to_tensor(image, dtype)
    y = torch.from_numpy(target).to(dtype)[None]
    with torch.no_grad():
        x = module[:first](x)  # the frozen layers before the first trained one, once
    trainable = module[first:]
    opt: Adam | SGD  # torch.optim's rules, without its 2-5 s first-use import (fit_optim)
    if options.optimizer == "adam":
        opt = Adam(params, lr=options.lr)
    else:
        opt = SGD(params, lr=options.lr, momentum=options.momentum)
    loss_fn = _loss_fn(options.loss)
    spread = _spread(target, options.loss) or 1.0
    best = [p.detach().clone() for p in params]
    best_loss, best_step, loss_start = math.inf, 0, math.nan
    losses: list[float] = []
    reason, message = "done", ""
    for step in range(options.steps + 1):  # the last pass only measures the final weights
        if step < options.steps and should_abort is not None and should_abort():
            reason = "stopped"
            break
        out = trainable(x)
        loss = loss_fn(out, y)
        value = float(loss.item())
        if not math.isfinite(value):
            reason = "diverged"
            message = (
                f"diverged at step {step + 1} (the loss became {value}); kept the best "
                f"weights, from step {best_step} — try a smaller learning rate"
            )
            break
        if step == 0:
            loss_start = value
        if value < best_loss:
            best_loss, best_step = value, step
            with torch.no_grad():
                for b, p in zip(best, params, strict=True):
                    b.copy_(p)
        if step == options.steps:
            break
        losses.append(value)
        opt.zero_grad()
        loss.backward()
        opt.step()
        snap = want_snapshot is not None and want_snapshot()
        yield FitStep(
            step=step + 1,
            loss=value,
            best_loss=best_loss,
            relative_error=value / spread,
            layers=fitted_layers(layers, module, sorted(by_layer)) if snap else None,
            output=_numpy(out) if snap else None,
        )
    with torch.no_grad():
        for b, p in zip(best, params, strict=True):
            p.copy_(b)
        output = _numpy(trainable(x))
    if not math.isfinite(best_loss):  # diverged on the very first pass
        raise FitError(f"the loss is not finite on the starting weights ({message})")
    best = f"best loss {best_loss:.4g} at step {best_step}"
    if reason == "done":
        message = f"done: {options.steps} steps, {best}"
    elif reason == "stopped":
        message = f"stopped after {len(losses)} steps, {best}"
    return FitResult(
        layers=fitted_layers(layers, module, sorted(by_layer)),
        loss_start=loss_start,
        loss_end=best_loss,
        relative_error=best_loss / spread,
        steps=len(losses),
        best_step=best_step,
        seconds=time.perf_counter() - start_time,
        reason=reason,
        message=message,
        losses=tuple(losses),
        output=output,
        residual=output - target,
        trained=tuple(sorted(by_layer)),
    )


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach()[0].to("cpu", torch.float32).numpy().copy()


def run_fit(
    layers: Sequence[LayerSpec],
    image: np.ndarray,
    target: np.ndarray,
    options: FitOptions | None = None,
    *,
    seed: int = 0,
    on_step: Callable[[FitStep], None] | None = None,
    should_abort: Callable[[], bool] | None = None,
) -> FitResult:
    """Run :func:`fit_stack` to the end; ``on_step`` sees every step. Returns its result."""
    gen = fit_stack(layers, image, target, options, seed=seed, should_abort=should_abort)
    while True:
        try:
            step = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_step is not None:
            on_step(step)
