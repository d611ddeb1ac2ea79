"""Specs to torch modules, with reproducible seeded weights.

Every layer becomes an ``nn.Sequential`` in eval mode whose children are named after what
they are:

* standard, pointwise, depthwise: ``pad`` (asymmetric padding only), ``conv``, then ``bn``
  (if ``batch_norm``), then ``act`` (if ``activation`` is not ``"none"``);
* separable: ``depthwise``, ``depthwise_bn``, ``depthwise_act``, ``pointwise``,
  ``pointwise_bn``, ``pointwise_act``;
* pools: ``pool``; activation layers: ``act``;
* blocks: a :class:`~explorer.core.model.kinds.block_torch.BlockModule`.

The children come from the kind's typed parts (:mod:`explorer.core.model.kinds`): this module
does not branch on the kind.

Seeded initialisation
---------------------
Layer ``index`` of a scene with seed ``seed`` is constructed with torch's default
initialisation drawn from its own ``torch.Generator`` seeded with ``layer_seed(seed,
index)`` (:func:`explorer.core.compute.local_rng.local_generator`): the same numbers as constructing
it right after ``torch.manual_seed(layer_seed(seed, index))``, but the process-global
generator is never used, so two threads building layers at once cannot disturb each other.
Each layer has its own seed, so editing one layer does not change the weights of the others,
and :mod:`explorer.core.compute.codegen` can write a script that rebuilds the same weights with
torch alone. Convolutions whose 'same' padding splits unevenly pad explicitly
(:mod:`explorer.core.compute.same_padding`), so running them raises no warning.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from explorer.core.compute.local_rng import local_generator
from explorer.core.compute.same_padding import explicit_same_padding
from explorer.core.compute.seeds import layer_seed
from explorer.core.errors import CheckpointError, SpecError
from explorer.core.io.checkpoints import load_state_dict
from explorer.core.model.specs import (
    WEIGHT_TARGETS,
    CheckpointTensor,
    InlineTensor,
    LayerSpec,
    ModelTensor,
)

__all__ = [
    "build_layer",
    "build_stack",
    "layer_out_channels",
    "layer_seed",
    "layer_weights",
    "part_modules",
    "part_names",
    "resolve_weight",
]


def layer_out_channels(spec: LayerSpec, in_channels: int) -> int:
    """Channels coming out of ``spec`` when ``in_channels`` go in."""
    return spec.out_channels_for(in_channels)


def part_names(spec: LayerSpec, in_channels: int = 1) -> tuple[str, ...]:
    """Names of the convolutions of a layer, as in :class:`explorer.core.analysis.costs.PartCost`."""
    from explorer.core.model.kinds.parts import Conv

    return tuple(dict.fromkeys(p.group for p in spec.parts(in_channels) if isinstance(p, Conv)))


def _construct(spec: LayerSpec, in_channels: int) -> nn.Module:
    # Construct in the order of the parts (conv, bn, conv, bn): seeding and codegen rely on it.
    return spec.build_module(in_channels)


def build_layer(spec: LayerSpec, in_channels: int, *, seed: int = 0, index: int = 0) -> nn.Module:
    """The torch module of one layer, with seeded weights and ``spec.weights`` applied.

    Parameters
    ----------
    spec
        The layer.
    in_channels
        Channels of its input.
    seed, index
        The scene's seed and the layer's place in the stack: together they fix the
        random weights (see :func:`layer_seed`).

    Returns
    -------
    torch.nn.Sequential
        In eval mode (BatchNorm uses its fresh running stats: mean 0, variance 1).

    Raises
    ------
    SpecError
        ``field="weights"`` when a set weight has the wrong shape or values, names an
        unknown target, or its checkpoint cannot be used.
    """
    with local_generator(layer_seed(seed, index)):
        module = _construct(spec, in_channels)
    explicit_same_padding(module)  # no torch warning, so no warning filters to touch
    module.eval()
    _apply_weights(module, spec, index)
    return module


def build_stack(layers: Sequence[LayerSpec], in_channels: int, *, seed: int = 0) -> nn.Sequential:
    """All layers, each built by :func:`build_layer`, as an ``nn.Sequential`` (eval mode)."""
    modules = []
    channels = in_channels
    for index, spec in enumerate(layers):
        modules.append(build_layer(spec, channels, seed=seed, index=index))
        channels = layer_out_channels(spec, channels)
    return nn.Sequential(*modules).eval()


def _target_parameter(module: nn.Sequential, spec: LayerSpec, target: str) -> nn.Parameter | None:
    """The parameter a weight target names, or ``None`` when the layer has no bias."""
    path = type(spec).weight_paths.get(target, target)
    owner, _, name = path.rpartition(".")
    try:
        return getattr(module.get_submodule(owner), name)
    except AttributeError:  # e.g. the SE weights of a block that has no SE
        raise SpecError(
            f"sets {target!r} but the layer has no such part", field="weights"
        ) from None


def resolve_weight(source: InlineTensor | CheckpointTensor | ModelTensor) -> torch.Tensor:
    """The tensor a weight source stands for, as float32 on the CPU.

    Raises
    ------
    SpecError
        ``field="weights"``, for values that are not numbers, a value count that does not
        match the shape, a checkpoint that cannot be read or lacks the key, a model file
        that cannot be read or has no such layer.
    """
    if isinstance(source, InlineTensor):
        shape = tuple(int(s) for s in source.shape)
        if len(source.values) != math.prod(shape):
            raise SpecError(
                f"{len(source.values)} values do not fill the shape {list(shape)} "
                f"({math.prod(shape)} values)",
                field="weights",
            )
        try:
            values = np.asarray(source.values, dtype=np.float64)
        except (TypeError, ValueError):
            raise SpecError("inline weight values must be numbers", field="weights") from None
        return torch.from_numpy(values.astype(np.float32).reshape(shape))
    if isinstance(source, CheckpointTensor):
        try:
            state = load_state_dict(source.checkpoint)
        except CheckpointError as exc:
            raise SpecError(str(exc), field="weights") from None
        if source.key not in state:
            keys = ", ".join(list(state)[:8]) + (", …" if len(state) > 8 else "")
            raise SpecError(
                f"checkpoint {source.checkpoint} has no tensor {source.key!r} (it has {keys})",
                field="weights",
            )
        return state[source.key]
    if isinstance(source, ModelTensor):
        from explorer.core.io.importers import ModelError, model_tensor

        try:
            return torch.from_numpy(model_tensor(source.model, source.output, source.target))
        except ModelError as exc:
            raise SpecError(str(exc), field="weights") from None
    raise SpecError(f"unknown weight source {type(source).__name__}", field="weights")


def _apply_weights(module: nn.Sequential, spec: LayerSpec, index: int) -> None:
    from explorer.core.model.kinds.base import bn_weight_targets

    bn_targets = bn_weight_targets(spec)
    allowed = WEIGHT_TARGETS[spec.kind] + bn_targets
    inner_layers = getattr(spec, "layers", ())
    if inner_layers:  # a block: its SE's weights, then each inner layer's own
        from explorer.core.model.kinds.block import SE_WEIGHT_PATHS

        allowed = allowed + SE_WEIGHT_PATHS
        for inner, inner_module in zip(inner_layers, module.body, strict=True):
            _apply_weights(inner_module, inner, index)
    for target, source in spec.weights:
        if target in bn_targets and not spec.batch_norm:
            continue  # the model's batch norm, switched off in the editor
        try:
            if target not in allowed:
                raise SpecError(
                    f"unknown target {target!r}; a {spec.kind} layer has {', '.join(allowed)}",
                    field="weights",
                )
            param = _target_parameter(module, spec, target)
            if param is None:
                raise SpecError(
                    f"sets {target!r} but the layer has no bias (bias is off)", field="weights"
                )
            tensor = resolve_weight(source)
            if tuple(tensor.shape) != tuple(param.shape):
                raise SpecError(
                    f"{target!r} must have shape {list(param.shape)}, got {list(tensor.shape)}",
                    field="weights",
                )
            if not tensor.dtype.is_floating_point:
                raise SpecError(
                    f"{target!r} must hold real numbers, got {str(tensor.dtype).removeprefix('torch.')}",
                    field="weights",
                )
            if not bool(torch.isfinite(tensor).all()):
                raise SpecError(f"{target!r} holds NaN or infinite values", field="weights")
        except SpecError as exc:
            raise exc.at(index, spec.kind) from None
        with torch.no_grad():
            param.copy_(tensor.to(param.dtype))


def part_modules(module: nn.Sequential, spec: LayerSpec) -> list[tuple[str, nn.Sequential]]:
    """Split a chain layer's module into its groups (a convolution with its pad, BN and
    activation; a pool; an activation).

    Returns ``[(name, sub_module), ...]`` with the group names of the parts. Not for blocks
    (use :meth:`LayerSpec.forward_parts`).
    """
    groups_of = {p.name: p.group for p in spec.parts(1)}  # names do not depend on C_in
    groups: OrderedDict[str, OrderedDict[str, nn.Module]] = OrderedDict()
    for name, child in module.named_children():
        prefix = name.split("_")[0]
        group = groups_of.get(name) or groups_of.get(prefix, prefix)
        groups.setdefault(group, OrderedDict())[name] = child
    return [(name, nn.Sequential(children)) for name, children in groups.items()]


def layer_weights(module: nn.Sequential, spec: LayerSpec) -> dict[str, np.ndarray]:
    """The layer's convolution weights and biases as numpy float32 copies.

    Keyed by the names of ``WEIGHT_TARGETS[spec.kind]`` (a bias is absent when the layer
    has none); weights have torch's shape ``(C_out, C_in/groups, kh, kw)``. A block gives
    its inner layers' weights as ``"1.weight"``, ``"2.bias"``, … (inner layer counted from 1).
    """
    return {
        name: param.detach().to("cpu", torch.float32).numpy().copy()
        for name, param in spec.named_weights(module).items()
    }
