"""Layer specifications: frozen dataclasses, one per kind of layer.

Each kind is declared once, in its own module of :mod:`explorer.core.model.kinds`; this module
re-exports them and keeps the helpers other modules use.

A spec says what a layer is, not how many channels come into it: the input channels follow
from the layer before (or the input image). Edits make new specs with
:func:`dataclasses.replace`, so a spec is hashable, comparable and safe to hand to a worker.

Fields follow PyTorch's ``nn.Conv2d`` and its defaults. ``kernel_size``, ``stride``,
``padding`` and ``dilation`` are stored as ``(h, w)`` pairs; an ``int`` given to the
constructor becomes a square pair. ``padding`` may also be ``"same"`` (stride 1 only, as in
torch) or ``(top, bottom, left, right)`` (asymmetric, e.g. TensorFlow's 'SAME' with stride 2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from explorer.core.errors import SpecError
from explorer.core.model.kinds import KINDS, LAYER_KINDS, REGISTRY, kind_class
from explorer.core.model.kinds.activation import ActivationSpec
from explorer.core.model.kinds.base import (
    ACTIVATIONS,
    PAIR_FIELDS,
    CheckpointTensor,
    InlineTensor,
    LayerSpec,
    ModelSource,
    ModelTensor,
    WeightSource,
)
from explorer.core.model.kinds.block import BlockSpec
from explorer.core.model.kinds.depthwise import DepthwiseSpec
from explorer.core.model.kinds.pointwise import PointwiseSpec
from explorer.core.model.kinds.pool import AvgPoolSpec, MaxPoolSpec
from explorer.core.model.kinds.separable import SeparableSpec
from explorer.core.model.kinds.standard import StandardSpec

__all__ = [
    "ACTIVATIONS",
    "KINDS",
    "LAYER_KINDS",
    "PAIR_FIELDS",
    "SPEC_TYPES",
    "WEIGHT_TARGETS",
    "ActivationSpec",
    "AvgPoolSpec",
    "BlockSpec",
    "CheckpointTensor",
    "DepthwiseSpec",
    "InlineTensor",
    "LayerSpec",
    "MaxPoolSpec",
    "ModelSource",
    "ModelTensor",
    "PointwiseSpec",
    "SeparableSpec",
    "StandardSpec",
    "WeightSource",
    "check_fields",
    "default_spec",
    "spec_fields",
]

#: kind name → spec class (the registry itself)
SPEC_TYPES: dict[str, type[LayerSpec]] = REGISTRY


class _WeightTargets(Mapping[str, tuple[str, ...]]):
    """kind → the targets its ``weights`` may set; follows the registry as kinds register."""

    def __getitem__(self, kind: str) -> tuple[str, ...]:
        return tuple(REGISTRY[kind].weight_paths)

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)


#: Names of the tensors a layer's ``weights`` may set, by kind.
WEIGHT_TARGETS: Mapping[str, tuple[str, ...]] = _WeightTargets()


def default_spec(kind: str, **changes: Any) -> LayerSpec:
    """A new layer of ``kind`` with defaults that run on any image.

    k×k convolutions get ``padding="same"`` so that adding one keeps the image size.
    """
    return kind_class(kind).default(**changes)


def spec_fields(cls_or_spec: type[LayerSpec] | LayerSpec) -> tuple[str, ...]:
    """Names of the user-editable fields of a spec class, in display order."""
    return cls_or_spec.field_names()


def check_fields(spec: LayerSpec) -> None:
    """Check each field on its own (types and ranges), whatever the input.

    Raises
    ------
    SpecError
        Naming the field and what is wrong with it. Checks that need the input shape
        (groups dividing the channels, kernel bigger than the padded input) are in
        :func:`explorer.core.analysis.costs.layer_cost`.
    """
    if not isinstance(spec, LayerSpec):
        raise SpecError(f"not a layer: {spec!r}", field="kind")
    spec.validate()
