"""Imported layers → layer specs and a scene whose weights reference the model file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from explorer.core.io.importers.blocks_match import ImportedBlock
from explorer.core.io.importers.matcher import ImportedLayer, MatchResult
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import (
    ActivationSpec,
    AvgPoolSpec,
    BlockSpec,
    DepthwiseSpec,
    LayerSpec,
    MaxPoolSpec,
    ModelSource,
    ModelTensor,
    PointwiseSpec,
    StandardSpec,
    spec_fields,
)

__all__ = ["layer_spec", "to_scene"]


def _padding(pads: tuple[int, int, int, int]) -> Any:
    t, b, left, r = pads
    return (t, left) if t == b and left == r else (t, b, left, r)


def _block_spec(block: ImportedBlock, model: str) -> LayerSpec:
    weights: list[tuple[str, Any]] = []
    extra: dict[str, Any] = {}
    if block.se is not None:
        for name, conv in (("fc1", block.se.fc1), ("fc2", block.se.fc2)):
            for part in ("weight", "bias"):
                target = f"se.{name}.{part}"
                weights.append((target, ModelTensor(model, conv.output, target)))
        extra = {
            "se": True,
            "se_after": block.se_after,
            "se_channels": block.se.fc1.out_channels,
            "se_activation": block.se.fc1.activation,
            "se_gate": block.se.fc2.activation,
        }
    return BlockSpec(
        layers=tuple(layer_spec(inner, model) for inner in block.layers),
        skip=block.skip,
        activation=block.activation,
        weights=tuple(weights),
        **({"skip_pool": block.skip_pool} if block.skip_pool > 1 else {}),
        **({"skip_pad": True} if block.skip_pad else {}),
        source=ModelSource(model, block.output),
        **block.params,
        **extra,
    )


def layer_spec(layer: ImportedLayer | ImportedBlock, model: str) -> LayerSpec:
    """The spec of one imported layer; its weights reference ``model`` (an absolute path).

    A 1×1 unpadded, undilated, ungrouped convolution is pointwise; one with a group per
    input channel is depthwise; any other is standard (with its groups). Pools, standalone
    activations and blocks become their kinds.
    """
    if isinstance(layer, ImportedBlock):
        return _block_spec(layer, model)
    source = ModelSource(model, layer.output)
    if layer.op in ("maxpool", "avgpool"):
        cls_pool = MaxPoolSpec if layer.op == "maxpool" else AvgPoolSpec
        return cls_pool(
            kernel_size=layer.kernel,
            stride=layer.stride,
            padding=(layer.pads[0], layer.pads[2]),
            source=source,
        )
    if layer.op == "activation":
        return ActivationSpec(activation=layer.activation, source=source, **layer.params)
    if layer.bias is not None and layer.bias.size == 0:
        layer.bias = None
    weights: list[tuple[str, Any]] = [("weight", ModelTensor(model, layer.output, "weight"))]
    if layer.bias is not None:
        weights.append(("bias", ModelTensor(model, layer.output, "bias")))
    for target in layer.bn or {}:
        weights.append((target, ModelTensor(model, layer.output, target)))
    common: dict[str, Any] = {
        "bias": layer.bias is not None,
        "activation": layer.activation,
        "batch_norm": layer.bn is not None,
        "weights": tuple(weights),
        "source": source,
    }
    for name, value in layer.params.items():
        common[name] = value
    c_in, c_out = layer.in_channels, layer.out_channels
    if (
        layer.groups == 1
        and layer.kernel == (1, 1)
        and not any(layer.pads)
        and layer.dilation == (1, 1)
    ):
        cls: type[LayerSpec] = PointwiseSpec
        fields = {"out_channels": c_out, "stride": layer.stride}
    elif layer.groups == c_in and c_in > 1:
        cls = DepthwiseSpec
        fields = {
            "kernel_size": layer.kernel,
            "stride": layer.stride,
            "padding": _padding(layer.pads),
            "dilation": layer.dilation,
            "multiplier": c_out // c_in,
        }
    else:
        cls = StandardSpec
        fields = {
            "out_channels": c_out,
            "kernel_size": layer.kernel,
            "stride": layer.stride,
            "padding": _padding(layer.pads),
            "dilation": layer.dilation,
            "groups": layer.groups,
        }
    known = set(spec_fields(cls)) | {"weights", "source"}
    return cls(**fields, **{k: v for k, v in common.items() if k in known})


def to_scene(
    result: MatchResult,
    *,
    layers: int | None = None,
    image: str | None = None,
    normalize: tuple[tuple[float, ...], tuple[float, ...]] | None = None,
    title: str = "",
    caption: str = "",
) -> Scene:
    """A scene of the first ``layers`` imported layers (all when ``None``).

    The input is ``image`` (``None``: the default sample) at the import's height and width
    (the longest side), or a seeded random tensor of the import's shape when the model takes
    neither 1 nor 3 channels. ``normalize`` (default: the range the model declares, else
    none) is applied to images.
    """
    model = os.path.abspath(result.graph.path)
    chosen = result.layers if layers is None else result.layers[:layers]
    c, h, w = result.input_shape
    if normalize is None:
        normalize = result.graph.input_range
    if c in (1, 3):
        inp = InputSpec(
            image=image, size=max(h, w), mode="rgb" if c == 3 else "grayscale", normalize=normalize
        )
    else:
        inp = InputSpec(shape=(c, h, w), normalize=normalize)
    if not title:
        title = f"{Path(model).name}: first {len(chosen)} layer(s)"
    return Scene(
        layers=tuple(layer_spec(layer, model) for layer in chosen),
        input=inp,
        title=title,
        caption=caption,
    )
