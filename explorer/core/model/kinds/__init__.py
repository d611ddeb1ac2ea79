"""The registry of layer kinds: one module per kind, each declaring its fields, defaults,
validation and typed parts (see :mod:`explorer.core.model.kinds.base`).

Adding a kind
-------------
Write ``explorer/core/model/kinds/<name>.py`` with a frozen dataclass deriving from
:class:`~explorer.core.model.kinds.base.LayerSpec` (``kind``, ``tip``, fields, ``validate``,
``parts``, ``weight_paths``; optionally ``formula_terms``, ``default_weight_target``), add it
to the registration loop below, and test it. Costs, the torch builder, the runner, codegen,
the formulas, the weight presets, the scene file and the layer editor iterate its parts and
fields (README: "Adding a layer kind").
"""

from __future__ import annotations

from explorer.core.errors import SpecError
from explorer.core.model.kinds.activation import ActivationSpec
from explorer.core.model.kinds.base import LayerSpec
from explorer.core.model.kinds.block import BlockSpec
from explorer.core.model.kinds.depthwise import DepthwiseSpec
from explorer.core.model.kinds.pointwise import PointwiseSpec
from explorer.core.model.kinds.pool import AvgPoolSpec, MaxPoolSpec
from explorer.core.model.kinds.separable import SeparableSpec
from explorer.core.model.kinds.standard import StandardSpec

__all__ = ["KINDS", "LAYER_KINDS", "REGISTRY", "kind_class", "register"]

REGISTRY: dict[str, type[LayerSpec]] = {}


def register(cls: type[LayerSpec]) -> type[LayerSpec]:
    """Add a kind to the registry (usable as a class decorator)."""
    if not cls.kind or cls.kind in REGISTRY:
        raise ValueError(f"kind {cls.kind!r} is empty or registered twice")
    REGISTRY[cls.kind] = cls
    return cls


for _cls in (
    StandardSpec,
    PointwiseSpec,
    DepthwiseSpec,
    SeparableSpec,
    MaxPoolSpec,
    AvgPoolSpec,
    ActivationSpec,
    BlockSpec,
):
    register(_cls)

#: every kind's name, in menu order
KINDS: tuple[str, ...] = tuple(REGISTRY)
#: the kinds a block may hold (all but blocks)
LAYER_KINDS: tuple[str, ...] = tuple(k for k in REGISTRY if k != "block")


def kind_class(kind: str) -> type[LayerSpec]:
    """The spec class of ``kind``.

    Raises
    ------
    SpecError
        For an unknown kind (``field="kind"``).
    """
    try:
        return REGISTRY[kind]
    except KeyError:
        raise SpecError(
            f"unknown kind {kind!r}; expected one of {', '.join(REGISTRY)}", field="kind"
        ) from None
