"""Kind ``block``: a run of layers with an optional identity skip and an optional
squeeze-and-excitation (SE) step — the blocks of MobileNetV2/V3, ResNet and BlazeFace.

Order of a block's forward pass (as in torchvision's ``InvertedResidual``)::

    y = x
    for i, layer in enumerate(layers):     # each inner layer: conv (+BN +activation), ...
        y = layer(y)
        if se and i + 1 == se_after:       # SE gates the output of inner layer se_after
            y = y * gate(fc2(act(fc1(avgpool(y)))))
    if skip:
        s = x
        if skip_pool > 1:                  # BlazeFace's stride-2 blocks: max-pool the skip
            s = max_pool2d(s, skip_pool, skip_pool, ceil_mode=True)
        if skip_pad:                       # BlazeFace: zero channels up to the output's
            s = pad(s, (0, 0, 0, 0, 0, C_out - C_in))
        y = y + s                          # shapes must match
    y = activation(y)                      # the block's own final activation (often none)

Counting: the SE's two 1×1 convolutions count as convolutions (params and MACs, on a 1×1
map); its global average pool (``C·H·W`` reads), the gate multiply (``C·H·W``) and the skip
add (``C·H·W``) are element-wise work, reported apart from the MACs, and so are the skip's
max pool (one comparison per input value) and its zero channels (one write each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from explorer.core.errors import SpecError
from explorer.core.model.kinds.base import (
    ACTIVATIONS,
    MAX_CHANNELS,
    LayerSpec,
    LayerTerms,
    chain_terms,
    check_int,
)
from explorer.core.model.kinds.parts import Activation, Conv, activation_code
from explorer.core.text import shape_text

__all__ = ["SE_GATES", "SE_WEIGHT_PATHS", "BlockSpec", "make_divisible", "se_squeeze_channels"]

SE_GATES = ("hardsigmoid", "sigmoid")
#: Weights of a block's squeeze-excitation that a scene may set (imported models, issue 11);
#: the inner layers carry their own ``weights``.
SE_WEIGHT_PATHS = ("se.fc1.weight", "se.fc1.bias", "se.fc2.weight", "se.fc2.bias")
Shape = tuple[int, int, int]


def make_divisible(value: float, divisor: int = 8) -> int:
    """torchvision's ``_make_divisible``: round to a multiple of ``divisor``, not below 90 %."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


def se_squeeze_channels(spec: BlockSpec, channels: int) -> int:
    """The SE's reduced channels: ``se_channels``, or MobileNetV3's ``make_divisible(C/4, 8)``."""
    return spec.se_channels or make_divisible(channels // 4, 8)


_HELPERS = '''

class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation: global average pool → 1×1 → act → 1×1 → gate → multiply."""

    def __init__(self, channels, squeeze, activation, gate):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.activation = activation
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = gate

    def forward(self, x):
        s = x.mean(dim=(2, 3), keepdim=True)
        return x * self.gate(self.fc2(self.activation(self.fc1(s))))


class Block(nn.Module):
    """Inner layers; SE after layer `se_after` (0-based); skip (max-pooled by `skip_pool`,
    zero channels added when `skip_pad`); final activation."""

    def __init__(self, body, se=None, se_after=-1, skip=False, act=None, skip_pool=1,
                 skip_pad=False):
        super().__init__()
        self.body = nn.ModuleList(body)
        self.se = se
        self.se_after = se_after
        self.skip = skip
        self.skip_pool = skip_pool
        self.skip_pad = skip_pad
        self.act = act if act is not None else nn.Identity()

    def forward(self, x):
        y = x
        for i, layer in enumerate(self.body):
            y = layer(y)
            if self.se is not None and i == self.se_after:
                y = self.se(y)
        if self.skip:
            s = x
            if self.skip_pool > 1:
                s = nn.functional.max_pool2d(s, self.skip_pool, self.skip_pool, ceil_mode=True)
            if self.skip_pad:
                s = nn.functional.pad(s, (0, 0, 0, 0, 0, y.shape[1] - s.shape[1]))
            y = y + s
        return self.act(y)'''


@dataclass(frozen=True, kw_only=True)
class BlockSpec(LayerSpec):
    """A block of ``layers`` (no blocks inside), see the module's docstring.

    Attributes
    ----------
    layers
        The inner layers, in order.
    skip
        Add the block's input to its output (identity; shapes must match), before
        ``activation``.
    skip_pool, skip_pad
        BlazeFace's skips: max-pool the input with kernel and stride ``skip_pool`` (1: none;
        2 for a stride-2 block; ``ceil_mode`` as TensorFlow's 'SAME') and, with
        ``skip_pad``, append zero channels up to the output's channels, before the add.
    se, se_after, se_channels, se_activation, se_gate
        Squeeze-and-excitation on the output of inner layer ``se_after`` (1-based):
        ``se_channels`` reduced channels (0: ``make_divisible(C/4, 8)`` as MobileNetV3),
        ``se_activation`` between the two 1×1 convs, ``se_gate`` ``"hardsigmoid"`` or
        ``"sigmoid"``.
    activation
        After the skip add (ResNet, BlazeFace); ``"none"`` for MobileNet's linear output.
    """

    kind: ClassVar[str] = "block"
    tip: ClassVar[str] = (
        "a run of layers as one unit, with an optional skip (input added to "
        "the output) and squeeze-and-excitation (per-channel gate)"
    )
    weight_paths: ClassVar[dict[str, str]] = {}
    editable: ClassVar[tuple[str, ...]] = (
        "skip",
        "skip_pool",
        "skip_pad",
        "se",
        "se_after",
        "se_channels",
        "se_activation",
        "se_gate",
        "activation",
        "negative_slope",
    )
    code_helpers: ClassVar[str] = _HELPERS
    optional_fields: ClassVar[tuple[str, ...]] = ("negative_slope", "skip_pool", "skip_pad")
    layers: tuple[LayerSpec, ...] = ()
    skip: bool = False
    skip_pool: int = 1
    skip_pad: bool = False
    se: bool = False
    se_after: int = 2
    se_channels: int = 0
    se_activation: str = "relu"
    se_gate: str = "hardsigmoid"
    bias: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.layers, list):
            object.__setattr__(self, "layers", tuple(self.layers))

    @classmethod
    def default(cls, **changes: Any) -> LayerSpec:
        """A residual depthwise 3×3 (shape-preserving, so the skip fits any input)."""
        from explorer.core.model.kinds.depthwise import DepthwiseSpec

        inner = (DepthwiseSpec(padding="same", bias=False, batch_norm=True, activation="relu"),)
        return cls(**{"layers": inner, "skip": True, "se_after": 1, **changes})

    # ---- validation ---------------------------------------------------------------
    def validate(self) -> None:
        super().validate()
        for name in ("skip", "se", "skip_pad"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"must be true or false, got {getattr(self, name)!r}", field=name)
        if not isinstance(self.layers, tuple) or not self.layers:
            raise SpecError("a block needs at least one layer", field="layers")
        for i, inner in enumerate(self.layers):
            if not isinstance(inner, LayerSpec) or isinstance(inner, BlockSpec):
                raise SpecError(f"inner layer {i + 1} must be a layer, not a block", field="layers")
            try:
                inner.validate()
            except SpecError as exc:
                raise SpecError(
                    f"inner layer {i + 1} ({inner.kind}), field '{exc.field}': {exc.message}",
                    field="layers",
                ) from None
        check_int(self.skip_pool, "skip_pool", 1, 8)
        if self.se:
            check_int(self.se_after, "se_after", 1, len(self.layers))
            check_int(self.se_channels, "se_channels", 0, MAX_CHANNELS)
            if self.se_activation not in ACTIVATIONS or self.se_activation == "none":
                raise SpecError(
                    f"must be one of {', '.join(ACTIVATIONS[1:])}, got {self.se_activation!r}",
                    field="se_activation",
                )
            if self.se_gate not in SE_GATES:
                raise SpecError(
                    f"must be one of {', '.join(SE_GATES)}, got {self.se_gate!r}", field="se_gate"
                )

    def parts(self, in_channels: int) -> tuple:
        """A block is not a chain: its steps are its inner layers' parts (see :meth:`terms`)."""
        out: list = []
        for inner in self.layers:
            out += inner.parts(in_channels)
            in_channels = inner.out_channels_for(in_channels)
        return tuple(out)

    def weight_targets(self) -> tuple[str, ...]:
        """The SE's weights (the inner layers carry their own ``weights``)."""
        return SE_WEIGHT_PATHS

    def out_channels_for(self, in_channels: int) -> int:
        for inner in self.layers:
            in_channels = inner.out_channels_for(in_channels)
        return in_channels

    def _se_parts(self, channels: int) -> tuple[Conv, Activation, Conv]:
        squeeze = se_squeeze_channels(self, channels)
        return (
            Conv("fc1", "se", channels, squeeze, (1, 1)),
            Activation("activation", "se", self.se_activation, squeeze, self.negative_slope),
            Conv("fc2", "se", squeeze, channels, (1, 1)),
        )

    # ---- costs ----------------------------------------------------------------------
    def terms(self, shape: Shape) -> LayerTerms:
        in_shape = shape
        params = macs = bias_adds = elementwise = stored = 0
        convs: list = []
        windows: list = []
        for i, inner in enumerate(self.layers):
            t = chain_terms(inner.parts(shape[0]), shape, f"{i + 1}.")
            params, macs = params + t.params, macs + t.macs
            bias_adds, elementwise = bias_adds + t.bias_adds, elementwise + t.elementwise
            convs += t.convs
            windows += t.windows
            stored += t.stored
            shape = t.output_shape
            if self.se and i + 1 == self.se_after:
                pooled: Shape = (shape[0], 1, 1)
                for part in self._se_parts(shape[0]):
                    counted = part.count(pooled)
                    if isinstance(part, Conv):
                        convs.append((f"se.{part.name}", part, pooled, counted))
                    params, macs = params + counted.params, macs + counted.macs
                    bias_adds += counted.bias_adds
                    pooled = counted.output_shape
                elementwise += 2 * math.prod(shape)  # average pool reads, gate multiply
                stored += math.prod(shape)
        if self.skip:
            skipped = self._skip_shape(in_shape, shape)
            if skipped != in_shape:  # the max pool: one comparison per input value
                elementwise += math.prod(in_shape)
                stored += math.prod(skipped)
            if skipped[0] != shape[0]:  # the zero channels, one write each
                elementwise += (shape[0] - skipped[0]) * skipped[1] * skipped[2]
            elementwise += math.prod(shape)
            stored += math.prod(shape)
        if self.activation != "none":
            params += Activation("act", "act", self.activation, shape[0]).count(shape).params
            stored += math.prod(shape)
        return LayerTerms(
            output_shape=shape,
            params=params,
            macs=macs,
            bias_adds=bias_adds,
            elementwise=elementwise,
            convs=tuple(convs),
            windows=tuple(windows),
            stored=stored,
        )

    def _skip_shape(self, in_shape: Shape, out_shape: Shape) -> Shape:
        """The skip's shape after its max pool (raises when it cannot be added)."""
        c, h, w = in_shape
        p = self.skip_pool
        pooled = (c, -(-h // p), -(-w // p))
        if (
            pooled[1:] != out_shape[1:]
            or c > out_shape[0]
            or (c < out_shape[0] and not self.skip_pad)
        ):
            what = f"max-pooled {p}×{p} to {shape_text(pooled)}" if p > 1 else shape_text(pooled)
            raise SpecError(
                f"the skip adds the input ({what}) to the output ({shape_text(out_shape)}): "
                "they must have the same height and width (set skip_pool to the block's "
                "stride) and the same channels (or skip_pad on, for fewer input channels); "
                "turn the skip off or keep stride 1 and the channels",
                field="skip",
            )
        return pooled

    # ---- torch ----------------------------------------------------------------------
    def build_module(self, in_channels: int) -> Any:
        from explorer.core.model.kinds.block_torch import build_block

        return build_block(self, in_channels)

    def forward_parts(self, module: Any, x: Any) -> list[tuple[str, Any]]:
        from explorer.core.model.kinds.block_torch import block_forward_parts

        return block_forward_parts(self, module, x)

    def named_weights(self, module: Any) -> dict[str, Any]:
        """The inner layers' weights, ``"1.weight"``, ``"2.bias"``, … (shown, not set)."""
        return {
            f"{j + 1}.{target}": param
            for j, inner in enumerate(self.layers)
            for target, param in inner.named_weights(module.body[j]).items()
        }

    def code_lines(self, in_channels: int, indent: str) -> list[str]:
        lines = [f"{indent}Block(", f"{indent}    ["]
        channels = in_channels
        se_channels = None
        for i, inner in enumerate(self.layers):
            body = inner.code_lines(channels, indent + "        ")
            body[-1] += ","
            lines += body
            channels = inner.out_channels_for(channels)
            if i + 1 == self.se_after:
                se_channels = channels
        lines.append(f"{indent}    ],")
        if self.se and se_channels is not None:
            fc1, act, _ = self._se_parts(se_channels)
            gate = activation_code(self.se_gate)
            lines.append(
                f"{indent}    se=SqueezeExcite({se_channels}, {fc1.c_out}, {act.code()}, {gate}),"
            )
            lines.append(f"{indent}    se_after={self.se_after - 1},")
        if self.skip:
            lines.append(f"{indent}    skip=True,")
            if self.skip_pool > 1:
                lines.append(f"{indent}    skip_pool={self.skip_pool},")
            if self.skip_pad:
                lines.append(f"{indent}    skip_pad=True,")
        if self.activation != "none":
            lines.append(
                f"{indent}    act={activation_code(self.activation, self.negative_slope, channels)},"
            )
        lines.append(f"{indent})")
        return lines

    def describe(self, c_in: int, c_out: int) -> str:
        inner = " → ".join(layer.kind for layer in self.layers)
        extras = [w for w, on in (("squeeze-excitation", self.se), ("skip add", self.skip)) if on]
        return f"block of {len(self.layers)} layers, {c_in} → {c_out} channels: {inner}\n" + (
            " + ".join(extras) if extras else "no skip, no SE"
        )
