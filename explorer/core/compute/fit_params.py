"""Which parameters a fit trains, and how the trained values go back into the specs.

A fit trains what a scene can store, so that a saved fitted scene rebuilds the fitted
stack exactly:

* a layer's ``WEIGHT_TARGETS`` (convolution weights and biases);
* BatchNorm's γ and β (``bn.weight``, ``bn.bias``) where the layer has a ``bn`` part that
  is on — the imported models' BatchNorm (issue 11) included; the running statistics are
  not parameters and keep their values;
* in a block, each inner layer's own targets, named ``"1.weight"``, ``"2.bn.bias"`` … (inner
  layer counted from 1) and stored in that inner layer's ``weights``; the squeeze-excitation
  weights (``se.fc1.weight`` …) stored in the block's own.

What a scene cannot store is never trained (PReLU's slopes keep torch's 0.25).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from torch import nn

from explorer.core.compute.build import _target_parameter as target_parameter
from explorer.core.model.specs import WEIGHT_TARGETS, InlineTensor, LayerSpec

__all__ = [
    "fit_parameter",
    "fit_targets",
    "fitted_layers",
    "trainable_parameters",
    "without_fit_weights",
]


def _inner(spec: LayerSpec) -> tuple[LayerSpec, ...]:
    return tuple(getattr(spec, "layers", ()) or ())


def fit_targets(spec: LayerSpec) -> tuple[str, ...]:
    """The weight targets of ``spec`` a fit may train (see the module docstring)."""
    from explorer.core.model.kinds.base import bn_weight_targets
    from explorer.core.model.kinds.block import SE_WEIGHT_PATHS

    inner = _inner(spec)
    if inner:
        out = [f"{j + 1}.{t}" for j, layer in enumerate(inner) for t in fit_targets(layer)]
        return tuple(out) + (SE_WEIGHT_PATHS if getattr(spec, "se", False) else ())
    bn = bn_weight_targets(spec)[:2] if getattr(spec, "batch_norm", False) else ()
    return WEIGHT_TARGETS[spec.kind] + bn


def fit_parameter(module: nn.Module, spec: LayerSpec, target: str) -> nn.Parameter | None:
    """The parameter of ``module`` (built from ``spec``) that ``target`` names, ``None``
    for a bias that is off."""
    inner = _inner(spec)
    head, _, rest = target.partition(".")
    if inner and head.isdigit():
        j = int(head) - 1
        return fit_parameter(module.body[j], inner[j], rest)  # type: ignore[index]
    return target_parameter(module, spec, target)  # type: ignore[arg-type]


def trainable_parameters(
    module: nn.Sequential,
    layers: Sequence[LayerSpec],
    frozen: Sequence[int] = (),
    train_bias: bool = True,
) -> dict[int, dict[str, nn.Parameter]]:
    """The parameters a fit trains, by layer index then weight target (``"weight"``,
    ``"pointwise.bias"``, ``"bn.weight"``, ``"2.weight"`` …), of the layers not ``frozen``;
    biases (and BatchNorm's β) only with ``train_bias``."""
    out: dict[int, dict[str, nn.Parameter]] = {}
    for index, spec in enumerate(layers):
        if index in frozen:
            continue
        params = {}
        for target in fit_targets(spec):
            if target.rsplit(".", 1)[-1] == "bias" and not train_bias:
                continue
            param = fit_parameter(module[index], spec, target)
            if param is not None:
                params[target] = param
        if params:
            out[index] = params
    return out


def _inline(array: np.ndarray) -> InlineTensor:
    # float32 values written with their shortest repr: 0.299, not 0.29899999499320984
    flat = np.asarray(array, dtype=np.float32).ravel()
    return InlineTensor(tuple(int(s) for s in array.shape), tuple(float(str(v)) for v in flat))


def _set_weights(spec: LayerSpec, values: dict[str, InlineTensor]) -> LayerSpec:
    """``spec`` with ``values`` set: its other weights (a model's BatchNorm running
    statistics …) kept, in their order, the new ones after them."""
    kept = [(t, values.pop(t) if t in values else s) for t, s in spec.weights]
    return spec.with_changes(weights=tuple(kept + list(values.items())))


def _fitted(spec: LayerSpec, module: nn.Module) -> LayerSpec:
    values = {}
    for target in fit_targets(spec):
        param = fit_parameter(module, spec, target)
        if param is not None:
            values[target] = _inline(param.detach().to("cpu").float().numpy())
    inner = _inner(spec)
    if not inner:
        return _set_weights(spec, values)
    layers = []
    for j, layer in enumerate(inner):
        prefix = f"{j + 1}."
        mine = {t[len(prefix) :]: v for t, v in values.items() if t.startswith(prefix)}
        layers.append(_set_weights(layer, mine))
    own = {t: v for t, v in values.items() if not t.split(".", 1)[0].isdigit()}
    return _set_weights(spec.with_changes(layers=tuple(layers)), own)


def fitted_layers(
    layers: Sequence[LayerSpec], module: nn.Sequential, trained: Sequence[int]
) -> tuple[LayerSpec, ...]:
    """``layers`` with the weights a fit trains set inline from ``module``, for the
    ``trained`` layers (their other weights kept)."""
    out = list(layers)
    for index in trained:
        out[index] = _fitted(layers[index], module[index])
    return tuple(out)


def without_fit_weights(spec: LayerSpec) -> LayerSpec:
    """``spec`` without the weights a fit trains (they get fresh seeded values when built);
    the rest (a model's BatchNorm running statistics …) kept."""
    trained = set(fit_targets(spec))
    inner = _inner(spec)
    if inner:
        spec = spec.with_changes(layers=tuple(without_fit_weights(layer) for layer in inner))
    return spec.with_changes(weights=tuple((t, s) for t, s in spec.weights if t not in trained))
