"""The groups view's data: which input channels feed which output channels.

A convolution with ``groups = g`` splits the C_in inputs and C_out outputs into g groups; an
output sees only the inputs of its own group, so the C_out×C_in connectivity matrix is block
diagonal. Pointwise and standard (g = 1) layers are all-to-all, depthwise (g = C_in, C_out =
m·C_in) connects output ``o`` to input ``o // m`` only, and a separable layer is a depthwise
stage followed by an all-to-all pointwise stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.errors import SpecError
from explorer.core.model.kinds.parts import Conv
from explorer.core.model.specs import LayerSpec

__all__ = ["WiringStage", "channel_wiring", "composed_connectivity", "group_connectivity"]


def group_connectivity(in_channels: int, out_channels: int, groups: int) -> np.ndarray:
    """Boolean (C_out, C_in) matrix: ``[o, i]`` is true when input ``i`` feeds output ``o``.

    Raises
    ------
    SpecError
        (field ``groups``) when ``groups`` does not divide both channel counts.
    """
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise SpecError(
            f"groups={groups} must divide the {in_channels} input and {out_channels} output "
            "channels",
            field="groups",
        )
    out_group = np.arange(out_channels) // (out_channels // groups)
    in_group = np.arange(in_channels) // (in_channels // groups)
    return out_group[:, None] == in_group[None, :]


@dataclass(frozen=True)
class WiringStage:
    """One convolution of a layer, as a wiring diagram.

    Attributes
    ----------
    name
        ``"conv"``, ``"depthwise"`` or ``"pointwise"`` (the builder's part names).
    connectivity
        Boolean (C_out, C_in) matrix of this stage.
    groups
        The stage's ``groups``.
    """

    name: str
    connectivity: np.ndarray
    groups: int

    @property
    def in_channels(self) -> int:
        return int(self.connectivity.shape[1])

    @property
    def out_channels(self) -> int:
        return int(self.connectivity.shape[0])

    @property
    def edges(self) -> list[tuple[int, int]]:
        """``(in_channel, out_channel)`` pairs, sorted by output then input."""
        outs, ins = np.nonzero(self.connectivity)
        return [(int(i), int(o)) for o, i in zip(outs, ins, strict=True)]


def channel_wiring(spec: LayerSpec, in_channels: int) -> list[WiringStage]:
    """The stages of a layer on ``in_channels`` inputs: one for standard, pointwise and
    depthwise layers, two (depthwise, pointwise) for a separable layer.

    Raises
    ------
    SpecError
        When the groups do not fit the channels (naming the field).
    """
    c = int(in_channels)
    stages = [
        WiringStage(part.group, group_connectivity(part.c_in, part.c_out, part.groups), part.groups)
        for part in spec.parts(c)
        if isinstance(part, Conv)
    ]
    if not stages:  # pools, activations: each channel feeds only itself
        stages = [WiringStage(spec.kind, group_connectivity(c, c, c), c)]
    return stages


def composed_connectivity(stages: list[WiringStage]) -> np.ndarray:
    """Boolean (C_out, C_in) matrix of the whole layer: is there any path from input ``i``
    to output ``o`` through the stages (a separable layer is all-to-all overall)."""
    if not stages:
        raise SpecError("a layer has at least one stage", field="kind")
    total = stages[0].connectivity.astype(np.int64)
    for stage in stages[1:]:
        total = stage.connectivity.astype(np.int64) @ total
    return total > 0
