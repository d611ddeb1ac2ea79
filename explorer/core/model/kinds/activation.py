"""Kind ``activation``: an element-wise non-linearity on its own (ReLU, ReLU6, hardswish,
hardsigmoid, sigmoid, SiLU, leaky ReLU with its slope, PReLU with one learnable slope per
channel)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from explorer.core.errors import SpecError
from explorer.core.model.kinds.base import LayerSpec
from explorer.core.model.kinds.parts import Activation, Part

__all__ = ["ActivationSpec"]


@dataclass(frozen=True, kw_only=True)
class ActivationSpec(LayerSpec):
    """A layer that only applies ``activation`` (``negative_slope`` for leaky ReLU)."""

    kind: ClassVar[str] = "activation"
    tip: ClassVar[str] = (
        "an element-wise function of each value; PReLU learns one slope per "
        "channel (counted as parameters)"
    )
    weight_paths: ClassVar[dict[str, str]] = {}
    editable: ClassVar[tuple[str, ...]] = ("activation", "negative_slope")
    activation: str = "relu"

    def validate(self) -> None:
        super().validate()
        if self.activation == "none":
            raise SpecError("an activation layer needs a function, not 'none'", field="activation")

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        return (Activation("act", "act", self.activation, in_channels, self.negative_slope),)

    def describe(self, c_in: int, c_out: int) -> str:
        return f"activation {self.activation} on {c_in} channels\napplied to each value"
