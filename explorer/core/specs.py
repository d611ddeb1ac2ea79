"""Layer specifications: frozen dataclasses, one per kind of layer.

A spec says what a layer is, not how many channels come into it: the input channels follow
from the layer before (or the input image). Edits make new specs with
:func:`dataclasses.replace`, so a spec is hashable, comparable and safe to hand to a worker.

Fields follow PyTorch's ``nn.Conv2d`` and its defaults. ``kernel_size``, ``stride``,
``padding`` and ``dilation`` are stored as ``(h, w)`` pairs; an ``int`` given to the
constructor becomes a square pair. ``padding`` may also be ``"same"`` (stride 1 only, as in
torch).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

from .errors import SpecError

__all__ = [
    "ACTIVATIONS",
    "KINDS",
    "SPEC_TYPES",
    "DepthwiseSpec",
    "LayerSpec",
    "PointwiseSpec",
    "SeparableSpec",
    "StandardSpec",
    "CheckpointTensor",
    "InlineTensor",
    "ModelSource",
    "ModelTensor",
    "WeightSource",
    "check_fields",
    "default_spec",
    "spec_fields",
]

Pair = tuple[int, int]
Padding = Pair | str

KINDS = ("standard", "pointwise", "depthwise", "separable")
ACTIVATIONS = ("none", "relu", "relu6")

#: Fields that hold an ``(h, w)`` pair (``int`` accepted on construction).
PAIR_FIELDS = ("kernel_size", "stride", "padding", "dilation")


def _pair(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, list):
        return tuple(value)
    return value


@dataclass(frozen=True)
class InlineTensor:
    """Weight values stored in the scene file itself (small layers, hand-edited weights).

    ``values`` is the tensor flattened in C order; ``shape`` is torch's shape.
    """

    shape: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class CheckpointTensor:
    """A tensor taken from a PyTorch checkpoint (``state_dict``), loaded with
    ``weights_only=True``. ``checkpoint`` is an absolute path in memory; the scene file
    stores it relative to the scene."""

    checkpoint: str
    key: str


@dataclass(frozen=True)
class ModelTensor:
    """A weight computed from a model file (ONNX or TFLite) by the importer: the tensor
    ``target`` of the layer whose output is the model's tensor ``output``, with every fold
    (BatchNorm, constant scales) applied. ``model`` is an absolute path in memory; the scene
    file stores it relative to the scene, as ``{"model": PATH, "output": NAME}``."""

    model: str
    output: str
    target: str


@dataclass(frozen=True)
class ModelSource:
    """Where an imported layer came from: the model file and the name of the model's tensor
    that equals this layer's output."""

    model: str
    output: str


WeightSource = InlineTensor | CheckpointTensor | ModelTensor

#: Names of the tensors a layer's ``weights`` may set, by kind.
WEIGHT_TARGETS = {
    "standard": ("weight", "bias"),
    "pointwise": ("weight", "bias"),
    "depthwise": ("weight", "bias"),
    "separable": ("depthwise.weight", "depthwise.bias", "pointwise.weight", "pointwise.bias"),
}


@dataclass(frozen=True, kw_only=True)
class LayerSpec:
    """Fields common to every kind of layer.

    Attributes
    ----------
    bias
        Each convolution has a learnable bias (torch default ``True``).
    batch_norm
        ``BatchNorm2d`` after each convolution (in eval mode: running mean 0, var 1).
    activation
        ``"none"``, ``"relu"`` or ``"relu6"``, after each convolution (and its BN),
        as in MobileNet.
    weights
        Weights set by the user instead of the seeded random ones: pairs of
        ``(target, source)`` with a target from ``WEIGHT_TARGETS[kind]``. Empty: seeded init.
    source
        For a layer imported from a model: the file and the tensor its output equals.
    """

    kind: ClassVar[str] = ""
    bias: bool = True
    batch_norm: bool = False
    activation: str = "none"
    weights: tuple[tuple[str, WeightSource], ...] = ()
    source: ModelSource | None = None

    def __post_init__(self) -> None:
        for name in PAIR_FIELDS:
            if hasattr(self, name):
                value = getattr(self, name)
                if not (name == "padding" and isinstance(value, str)):
                    object.__setattr__(self, name, _pair(value))

    def with_changes(self, **changes: Any) -> LayerSpec:
        """Return a copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes)

    @property
    def has_out_channels(self) -> bool:
        """Whether the user chooses the output channels (not depthwise)."""
        return hasattr(self, "out_channels")


@dataclass(frozen=True, kw_only=True)
class StandardSpec(LayerSpec):
    """``nn.Conv2d(C_in, out_channels, kernel_size, stride, padding, dilation, groups, bias)``."""

    kind: ClassVar[str] = "standard"
    out_channels: int = 16
    kernel_size: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Padding = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1


@dataclass(frozen=True, kw_only=True)
class PointwiseSpec(LayerSpec):
    """``nn.Conv2d(C_in, out_channels, 1, stride, bias)``: a per-pixel matrix product."""

    kind: ClassVar[str] = "pointwise"
    out_channels: int = 16
    stride: Pair = (1, 1)


@dataclass(frozen=True, kw_only=True)
class DepthwiseSpec(LayerSpec):
    """``nn.Conv2d(C_in, C_in*multiplier, kernel_size, ..., groups=C_in)``: no channel mixing."""

    kind: ClassVar[str] = "depthwise"
    kernel_size: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Padding = (0, 0)
    dilation: Pair = (1, 1)
    multiplier: int = 1


@dataclass(frozen=True, kw_only=True)
class SeparableSpec(LayerSpec):
    """Depthwise k×k then pointwise 1×1 to ``out_channels``: MobileNet's block.

    ``kernel_size``, ``stride``, ``padding``, ``dilation`` and ``multiplier`` apply to the
    depthwise part; ``bias``, ``batch_norm`` and ``activation`` apply after each part.
    """

    kind: ClassVar[str] = "separable"
    out_channels: int = 16
    kernel_size: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Padding = (0, 0)
    dilation: Pair = (1, 1)
    multiplier: int = 1


SPEC_TYPES: dict[str, type[LayerSpec]] = {
    cls.kind: cls for cls in (StandardSpec, PointwiseSpec, DepthwiseSpec, SeparableSpec)
}


def default_spec(kind: str, **changes: Any) -> LayerSpec:
    """A new layer of ``kind`` with defaults that run on any image.

    k×k layers get ``padding="same"`` so that adding one keeps the image size.
    """
    try:
        cls = SPEC_TYPES[kind]
    except KeyError:
        raise SpecError(
            f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", field="kind"
        ) from None
    defaults: dict[str, Any] = {}
    if "padding" in spec_fields(cls):
        defaults["padding"] = "same"
    defaults.update(changes)
    return cls(**defaults)


def spec_fields(cls_or_spec: type[LayerSpec] | LayerSpec) -> tuple[str, ...]:
    """Names of the user-editable fields of a spec class, in display order."""
    names = [f.name for f in fields(cls_or_spec)]
    common = ["bias", "batch_norm", "activation"]
    return tuple([n for n in names if n not in common and n not in ("weights", "source")]
                 + common)


_MAX_CHANNELS = 65536
_MAX_KERNEL = 1024


def _check_int(value: Any, name: str, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"must be an integer, got {value!r}", field=name)
    if not lo <= value <= hi:
        raise SpecError(f"must be between {lo} and {hi}, got {value}", field=name)


def _check_pair(value: Any, name: str, lo: int, hi: int) -> None:
    if not (isinstance(value, tuple) and len(value) == 2):
        raise SpecError(f"must be an integer or a pair [h, w], got {value!r}", field=name)
    for v in value:
        _check_int(v, name, lo, hi)


def check_fields(spec: LayerSpec) -> None:
    """Check each field on its own (types and ranges), whatever the input.

    Raises
    ------
    SpecError
        Naming the field and what is wrong with it. Checks that need the input shape
        (groups dividing the channels, kernel bigger than the padded input) are in
        :func:`explorer.core.costs.layer_cost`.
    """
    if not isinstance(spec.bias, bool):
        raise SpecError(f"must be true or false, got {spec.bias!r}", field="bias")
    if not isinstance(spec.batch_norm, bool):
        raise SpecError(f"must be true or false, got {spec.batch_norm!r}", field="batch_norm")
    if spec.activation not in ACTIVATIONS:
        raise SpecError(
            f"must be one of {', '.join(ACTIVATIONS)}, got {spec.activation!r}",
            field="activation",
        )
    if hasattr(spec, "out_channels"):
        _check_int(spec.out_channels, "out_channels", 1, _MAX_CHANNELS)
    if hasattr(spec, "kernel_size"):
        _check_pair(spec.kernel_size, "kernel_size", 1, _MAX_KERNEL)
    if hasattr(spec, "stride"):
        _check_pair(spec.stride, "stride", 1, _MAX_KERNEL)
    if hasattr(spec, "dilation"):
        _check_pair(spec.dilation, "dilation", 1, _MAX_KERNEL)
    if hasattr(spec, "padding"):
        if isinstance(spec.padding, str):
            if spec.padding != "same":
                raise SpecError(
                    f"must be an integer, a pair [h, w] or \"same\", got {spec.padding!r}",
                    field="padding",
                )
            if spec.stride != (1, 1):
                raise SpecError(
                    "padding 'same' needs stride 1 (as in torch); "
                    f"stride is {spec.stride[0]}×{spec.stride[1]}",
                    field="padding",
                )
        else:
            _check_pair(spec.padding, "padding", 0, _MAX_KERNEL)
    if hasattr(spec, "groups"):
        _check_int(spec.groups, "groups", 1, _MAX_CHANNELS)
    if hasattr(spec, "multiplier"):
        _check_int(spec.multiplier, "multiplier", 1, 1024)
