"""The base of every layer kind: common fields, field checks, and the generic behaviour
of a kind that is a chain of :mod:`~explorer.core.model.kinds.parts`.

A kind is a frozen dataclass deriving from :class:`LayerSpec` that declares

* its fields and their defaults (dataclass fields; ``editable`` orders them for the form
  and the file),
* its validation (:meth:`LayerSpec.validate`, extending the common checks),
* its parts (:meth:`LayerSpec.parts`): the typed steps it is made of.

From the parts, this base derives the costs (:meth:`LayerSpec.terms`), the torch module
(:meth:`LayerSpec.build_module`), the runner's per-part outputs
(:meth:`LayerSpec.forward_parts`) and the generated code (:meth:`LayerSpec.code_lines`).
A kind that is not a chain (a block) overrides those four.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

from explorer.core.errors import SpecError
from explorer.core.model.kinds.chain import (
    LayerTerms,
    chain_terms,
    conv_steps,
    split_padding,
    wrap_child,
)
from explorer.core.model.kinds.parts import Conv, Part
from explorer.core.model.kinds.symbols import ConvSymbols

__all__ = [
    "MAX_CHANNELS",
    "MAX_KERNEL",
    "Padding",
    "ACTIVATIONS",
    "PAIR_FIELDS",
    "CheckpointTensor",
    "ConvPart",
    "ConvSymbols",
    "InlineTensor",
    "LayerSpec",
    "ModelSource",
    "ModelTensor",
    "LayerTerms",
    "WeightSource",
    "check_int",
    "new_uid",
    "chain_terms",
    "check_pair",
    "conv_steps",
    "BN_WEIGHT_PATHS",
    "bn_weight_targets",
    "split_padding",
    "wrap_child",
]

Pair = tuple[int, int]
Padding = Pair | tuple[int, int, int, int] | str
Shape = tuple[int, int, int]

ACTIVATIONS = (
    "none",
    "relu",
    "relu6",
    "hardswish",
    "hardsigmoid",
    "sigmoid",
    "silu",
    "leaky_relu",
    "prelu",
)

#: Fields that hold an ``(h, w)`` pair (``int`` accepted on construction).
PAIR_FIELDS = ("kernel_size", "stride", "padding", "dilation")

MAX_CHANNELS = 65536
MAX_KERNEL = 1024


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
    ``target`` of the imported layer whose output is the model's tensor ``output``, with every
    fold (BatchNorm, constant scales) applied. ``model`` is an absolute path in memory; the
    scene file stores it relative to the scene, as ``{"model": PATH, "output": NAME}``."""

    model: str
    output: str
    target: str


@dataclass(frozen=True)
class ModelSource:
    """Where an imported layer came from: the model file and the name of the model's tensor
    that equals this layer's output (issue 11)."""

    model: str
    output: str


WeightSource = InlineTensor | CheckpointTensor | ModelTensor


_UIDS = itertools.count(1)


def new_uid() -> int:
    """A fresh layer identity (unique in this process; not saved in files)."""
    return next(_UIDS)


def check_int(value: Any, name: str, lo: int, hi: int) -> None:
    """Raise :class:`SpecError` unless ``value`` is an ``int`` in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"must be an integer, got {value!r}", field=name)
    if not lo <= value <= hi:
        raise SpecError(f"must be between {lo} and {hi}, got {value}", field=name)


def check_pair(value: Any, name: str, lo: int, hi: int, sizes: tuple[int, ...] = (2,)) -> None:
    """Raise :class:`SpecError` unless ``value`` is a tuple of ints in ``[lo, hi]``."""
    if not (isinstance(value, tuple) and len(value) in sizes):
        what = "a pair [h, w]" if sizes == (2,) else "a pair [h, w] or [top, bottom, left, right]"
        raise SpecError(f"must be an integer or {what}, got {value!r}", field=name)
    for v in value:
        check_int(v, name, lo, hi)


def _check_bool(value: Any, name: str) -> None:
    if not isinstance(value, bool):
        raise SpecError(f"must be true or false, got {value!r}", field=name)


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
        One of :data:`ACTIVATIONS`, after each convolution (and its BN), as in MobileNet.
    negative_slope
        The slope of ``leaky_relu`` for negative inputs (torch default 0.01).
    weights
        Weights set by the user instead of the seeded random ones: pairs of
        ``(target, source)`` with a target from ``weight_targets``. Empty: seeded init.
    uid
        The layer's identity in the document: kept by edits of its fields
        (``with_changes``) and by moves, new for a new or duplicated layer, never saved,
        and left out of equality, hashing and ``repr`` (so caches key on what the layer is).
    """

    #: the kind's name in files and menus
    kind: ClassVar[str] = ""
    #: one line for the menus and the editor
    tip: ClassVar[str] = ""
    #: weight targets the user may set, each the path of a parameter in the torch module
    weight_paths: ClassVar[dict[str, str]] = {}
    #: editable fields in display order; empty: the dataclass fields, common ones last
    editable: ClassVar[tuple[str, ...]] = ()
    #: fields whose value is one of a few names (the form shows a list, the file checks it)
    choices: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: fields that are written to a file only when they differ from the default
    optional_fields: ClassVar[tuple[str, ...]] = ("negative_slope",)
    #: the target a single tensor from a model or checkpoint sets (the output conv's weight)
    default_weight_target: ClassVar[str] = "weight"

    bias: bool = True
    batch_norm: bool = False
    activation: str = "none"
    negative_slope: float = 0.01
    weights: tuple[tuple[str, WeightSource], ...] = field(default=())
    source: ModelSource | None = None
    uid: int = field(default_factory=new_uid, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in PAIR_FIELDS:
            if hasattr(self, name):
                value = getattr(self, name)
                if not (name == "padding" and isinstance(value, str)):
                    object.__setattr__(self, name, _pair(value))

    # ---- declaration -------------------------------------------------------------
    @classmethod
    def default(cls, **changes: Any) -> LayerSpec:
        """A new layer of this kind that runs on any input (menus use it).

        k×k convolutions get ``padding="same"`` so that adding one keeps the image size.
        """
        defaults: dict[str, Any] = {}
        if "padding" in cls.field_names() and "dilation" in cls.field_names():
            defaults["padding"] = "same"
        defaults.update(changes)
        return cls(**defaults)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The user-editable fields, in display order."""
        if cls.editable:
            return cls.editable
        names = [f.name for f in fields(cls)]
        common = ["bias", "batch_norm", "activation", "negative_slope"]
        return tuple(
            [n for n in names if n not in common and n not in ("weights", "uid", "source")] + common
        )

    def with_changes(self, **changes: Any) -> LayerSpec:
        """Return a copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes)

    @property
    def has_out_channels(self) -> bool:
        """Whether the user chooses the output channels (not depthwise)."""
        return hasattr(self, "out_channels")

    def validate(self) -> None:
        """Check each field on its own (types and ranges), whatever the input.

        Raises
        ------
        SpecError
            Naming the field. Checks that need the input shape are in the parts' counts.
        """
        _check_bool(self.bias, "bias")
        _check_bool(self.batch_norm, "batch_norm")
        if self.activation not in ACTIVATIONS:
            raise SpecError(
                f"must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}",
                field="activation",
            )
        slope = self.negative_slope
        if (
            isinstance(slope, bool)
            or not isinstance(slope, (int, float))
            or not math.isfinite(slope)
        ):
            raise SpecError(f"must be a finite number, got {slope!r}", field="negative_slope")
        if hasattr(self, "out_channels"):
            check_int(self.out_channels, "out_channels", 1, MAX_CHANNELS)
        if hasattr(self, "kernel_size"):
            check_pair(self.kernel_size, "kernel_size", 1, MAX_KERNEL)
        if hasattr(self, "stride"):
            check_pair(self.stride, "stride", 1, MAX_KERNEL)
        if hasattr(self, "dilation"):
            check_pair(self.dilation, "dilation", 1, MAX_KERNEL)
        if hasattr(self, "padding"):
            self._check_padding()
        for name, options in type(self).choices.items():
            if getattr(self, name) not in options:
                raise SpecError(
                    f"must be one of {', '.join(options)}, got {getattr(self, name)!r}", field=name
                )

    def _check_padding(self, sizes: tuple[int, ...] = (2, 4)) -> None:
        padding = self.padding  # type: ignore[attr-defined]
        if isinstance(padding, str):
            if padding != "same":
                raise SpecError(
                    f'must be an integer, a pair [h, w] or "same", got {padding!r}',
                    field="padding",
                )
            if self.stride != (1, 1):  # type: ignore[attr-defined]
                raise SpecError(
                    "padding 'same' needs stride 1 (as in torch); "
                    f"stride is {self.stride[0]}×{self.stride[1]}",  # type: ignore[attr-defined]
                    field="padding",
                )
        else:
            check_pair(padding, "padding", 0, MAX_KERNEL, sizes)

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        """The typed steps of this layer when ``in_channels`` come in."""
        raise NotImplementedError

    def named_weights(self, module: Any) -> dict[str, Any]:
        """The parameters of ``module`` the user may set, by target (no bias: absent)."""
        out = {}
        for target, path in type(self).weight_paths.items():
            owner, _, name = path.rpartition(".")
            param = getattr(module.get_submodule(owner), name)
            if param is not None:
                out[target] = param
        return out

    def code_notes(self) -> list[str]:
        """Extra comment lines for generated code (a separable layer: its cost ratio)."""
        return []

    def weight_targets(self) -> tuple[str, ...]:
        """Every target a scene file may set on this layer: :attr:`weight_paths`, then the
        batch norm's (:func:`bn_weight_targets`); a block adds its SE's."""
        return tuple(type(self).weight_paths) + bn_weight_targets(self)

    def conv_targets(self, in_channels: int) -> dict[str, Conv]:
        """Each conv weight target (``"weight"``, ``"depthwise.weight"``) → its conv part
        on ``in_channels`` inputs, in the order of :attr:`weight_paths`."""
        convs = {p.name: p for p in self.parts(in_channels) if isinstance(p, Conv)}
        out = {}
        for target, path in type(self).weight_paths.items():
            owner, _, name = path.rpartition(".")
            if name == "weight" and owner in convs:
                out[target] = convs[owner]
        return out

    def formula_terms(self, in_channels: int) -> tuple[ConvSymbols, ...] | None:
        """The symbolic counts of the layer's convolutions, for the live formulas (see
        :mod:`~explorer.core.model.kinds.symbols`); ``None``: formulas from the parts."""
        return None

    def target_conv(self, target: str) -> Conv | None:
        """The convolution part that weight ``target`` belongs to (``None``: not a conv)."""
        owner = type(self).weight_paths[target].rpartition(".")[0]
        return next((p for p in self.parts(2) if isinstance(p, Conv) and p.name == owner), None)

    def describe(self, c_in: int, c_out: int) -> str:
        """What the layer does, for generated code (two short lines)."""
        return f"{self.kind}, {c_in} → {c_out} channels"

    # ---- derived from the parts -------------------------------------------------
    def out_channels_for(self, in_channels: int) -> int:
        """Channels coming out when ``in_channels`` go in."""
        channels = in_channels
        for part in self.parts(in_channels):
            if isinstance(part, Conv):
                channels = part.c_out
        return channels

    def terms(self, shape: Shape) -> LayerTerms:
        """Costs of the layer on an input of ``shape`` (raises :class:`SpecError`)."""
        return chain_terms(self.parts(shape[0]), shape)

    def build_module(self, in_channels: int) -> Any:
        """The torch module, constructed in the order of the parts (seeding relies on it)."""
        from collections import OrderedDict

        from torch import nn

        children = OrderedDict()
        for part in self.parts(in_channels):
            module = part.module()
            if module is not None:
                children[part.name] = module
        return nn.Sequential(children)

    def forward_parts(self, module: Any, x: Any) -> list[tuple[str, Any]]:
        """Run ``module`` (from :meth:`build_module`) on ``x``; each group's output."""
        parts = {p.name: p.group for p in self.parts(int(x.shape[1]))}
        out: dict[str, Any] = {}
        for name, child in module.named_children():
            x = child(x)
            out[parts[name]] = x
        return list(out.items())

    def code_lines(self, in_channels: int, indent: str) -> list[str]:
        """Lines of a Python expression that builds the same module (first line indented)."""
        lines = [f"{indent}nn.Sequential(OrderedDict(["]
        for part in self.parts(in_channels):
            lines += wrap_child(part.name, part.code(), indent + "    ")
        lines.append(f"{indent}]))")
        return lines

    #: Python source the generated script needs once for this kind (helper classes).
    code_helpers: ClassVar[str] = ""


#: The batch norm a scene may set on a layer whose parts have one named ``bn`` (imported
#: models keep the model's BatchNorm, issue 11): γ, β and the running statistics.
BN_WEIGHT_PATHS = ("bn.weight", "bn.bias", "bn.running_mean", "bn.running_var")


def bn_weight_targets(spec: LayerSpec) -> tuple[str, ...]:
    """:data:`BN_WEIGHT_PATHS` when ``spec``'s kind has a batch norm part named ``bn``
    (with ``batch_norm`` on), else ``()`` (blocks: their inner layers carry their own)."""
    if getattr(spec, "layers", ()):
        return ()
    try:
        names = {p.name for p in replace(spec, batch_norm=True).parts(2)}
    except (NotImplementedError, ValueError, TypeError):
        return ()
    return BN_WEIGHT_PATHS if "bn" in names else ()


ConvPart = Conv
