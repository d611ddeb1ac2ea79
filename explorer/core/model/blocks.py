"""Building blocks of lightweight networks, as lists of layer specs to insert into a stack.

Choices made here, so the costs match the networks they come from:

* Convolutions followed by BatchNorm have **no bias** (``bias=False``), as in MobileNet and
  torchvision: the BN's β does that job.
* 3×3 depthwise layers use ``padding=1`` (not ``"same"``) so the same block works with
  stride 2.
* The MobileNetV1 block is by default **one** :class:`~explorer.core.model.specs.SeparableSpec`
  with ``batch_norm=True, activation="relu"``, which the builder expands to exactly
  dw 3×3 → BN → ReLU → pw 1×1 → BN → ReLU. ``split=True`` gives the same thing as a
  :class:`DepthwiseSpec` and a :class:`PointwiseSpec`, so each half shows as its own layer
  (same parameters and MACs).
* MobileNetV2's inverted residual is one **block** (:class:`~explorer.core.model.specs.BlockSpec`)
  of three layers with its identity skip when stride is 1 and the channels match
  (:func:`mobilenet_v2_block`); :func:`mobilenet_v2_inverted_residual` still gives the three
  bare layers.
* MobileNetV3's block (:func:`mobilenet_v3_block`): 1×1 expand → BN → hardswish (or ReLU),
  k×k depthwise → BN → hardswish, squeeze-and-excitation (``make_divisible(C/4, 8)``
  channels, ReLU, hardsigmoid gate), 1×1 project → BN, skip when the shapes match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from explorer.core.errors import SpecError
from explorer.core.model.specs import (
    BlockSpec,
    DepthwiseSpec,
    LayerSpec,
    PointwiseSpec,
    SeparableSpec,
)

__all__ = [
    "BLOCKS",
    "Block",
    "make_block",
    "mobilenet_v1_block",
    "mobilenet_v2_block",
    "mobilenet_v2_inverted_residual",
    "mobilenet_v3_block",
]


def _check(name: str, value: int, lo: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise SpecError(f"must be an integer ≥ {lo}, got {value!r}", field=name)


def mobilenet_v1_block(
    out_channels: int, stride: int = 1, *, split: bool = False
) -> list[LayerSpec]:
    """MobileNetV1's depthwise-separable block: dw 3×3 → BN → ReLU → pw 1×1 → BN → ReLU.

    Parameters
    ----------
    out_channels
        Channels after the pointwise step.
    stride
        Stride of the depthwise 3×3 (MobileNet uses 2 to halve the resolution).
    split
        ``False``: one separable layer. ``True``: a depthwise and a pointwise layer.
    """
    _check("out_channels", out_channels)
    _check("stride", stride)
    common = {"bias": False, "batch_norm": True, "activation": "relu"}
    if not split:
        return [
            SeparableSpec(
                out_channels=out_channels, kernel_size=3, stride=stride, padding=1, **common
            )
        ]
    return [
        DepthwiseSpec(kernel_size=3, stride=stride, padding=1, **common),
        PointwiseSpec(out_channels=out_channels, **common),
    ]


def mobilenet_v2_inverted_residual(
    in_channels: int, out_channels: int, expansion: int = 6, stride: int = 1
) -> list[LayerSpec]:
    """MobileNetV2's inverted residual: 1×1 expand (×t) → BN → ReLU6, 3×3 depthwise → BN →
    ReLU6, 1×1 project → BN with no activation (the "linear bottleneck").

    With ``expansion=1`` there is no expand layer (as in torchvision). The residual add of the
    real block (``x + block(x)`` when ``stride == 1`` and ``in_channels == out_channels``) is
    **not** a layer kind here and is left out.
    """
    _check("in_channels", in_channels)
    _check("out_channels", out_channels)
    _check("expansion", expansion)
    _check("stride", stride)
    layers: list[LayerSpec] = []
    if expansion != 1:
        layers.append(
            PointwiseSpec(
                out_channels=in_channels * expansion,
                bias=False,
                batch_norm=True,
                activation="relu6",
            )
        )
    layers.append(
        DepthwiseSpec(
            kernel_size=3, stride=stride, padding=1, bias=False, batch_norm=True, activation="relu6"
        )
    )
    layers.append(
        PointwiseSpec(out_channels=out_channels, bias=False, batch_norm=True, activation="none")
    )
    return layers


def mobilenet_v2_block(
    in_channels: int, out_channels: int, expansion: int = 6, stride: int = 1
) -> list[LayerSpec]:
    """MobileNetV2's inverted residual as one block, with its identity skip when
    ``stride == 1`` and ``in_channels == out_channels`` (as torchvision's ``use_res_connect``)."""
    layers = mobilenet_v2_inverted_residual(in_channels, out_channels, expansion, stride)
    skip = stride == 1 and in_channels == out_channels
    return [BlockSpec(layers=tuple(layers), skip=skip)]


def mobilenet_v3_block(
    in_channels: int,
    out_channels: int,
    expanded: int | None = None,
    stride: int = 1,
    *,
    kernel_size: int = 3,
    se: bool = True,
    activation: str = "hardswish",
) -> list[LayerSpec]:
    """MobileNetV3's block (torchvision's ``InvertedResidual``): 1×1 expand → BN → act
    (no expand when ``expanded == in_channels``), k×k depthwise → BN → act, SE on the
    depthwise output, 1×1 project → BN (linear); skip when stride 1 and channels match.

    ``expanded`` defaults to ``4 × in_channels``; ``activation`` is ``"hardswish"`` (HS) or
    ``"relu"`` (RE), as in the paper's table.
    """
    _check("in_channels", in_channels)
    _check("out_channels", out_channels)
    _check("stride", stride)
    _check("kernel_size", kernel_size)
    expanded = 4 * in_channels if expanded is None else expanded
    _check("expanded", expanded)
    common = {"bias": False, "batch_norm": True, "activation": activation}
    layers: list[LayerSpec] = []
    if expanded != in_channels:
        layers.append(PointwiseSpec(out_channels=expanded, **common))  # type: ignore[arg-type]
    layers.append(
        DepthwiseSpec(
            kernel_size=kernel_size, stride=stride, padding=(kernel_size - 1) // 2, **common
        )
    )  # type: ignore[arg-type]
    layers.append(PointwiseSpec(out_channels=out_channels, bias=False, batch_norm=True))
    return [
        BlockSpec(
            layers=tuple(layers),
            skip=stride == 1 and in_channels == out_channels,
            se=se,
            se_after=len(layers) - 1,
            se_activation="relu",
            se_gate="hardsigmoid",
        )
    ]


@dataclass(frozen=True)
class Block:
    """An entry of :data:`BLOCKS`: what the "Insert block" menu offers.

    Attributes
    ----------
    name
        Registry key.
    title
        Menu text.
    description
        One line: the layers it inserts.
    caption
        One or two sentences to show with it (what it teaches, what is left out).
    """

    name: str
    title: str
    description: str
    caption: str
    build: Callable[..., list[LayerSpec]]


def _v1(in_channels: int, out_channels: int, stride: int = 1, **options: object) -> list[LayerSpec]:
    return mobilenet_v1_block(out_channels, stride, split=bool(options.get("split", False)))


def _v2(in_channels: int, out_channels: int, stride: int = 1, **options: object) -> list[LayerSpec]:
    expansion = options.get("expansion", 6)
    if not isinstance(expansion, int):
        raise SpecError(f"must be an integer, got {expansion!r}", field="expansion")
    return mobilenet_v2_block(in_channels, out_channels, expansion, stride)


def _v3(in_channels: int, out_channels: int, stride: int = 1, **options: object) -> list[LayerSpec]:
    expansion = options.get("expansion", 4)
    if not isinstance(expansion, int):
        raise SpecError(f"must be an integer, got {expansion!r}", field="expansion")
    _check("expansion", expansion)
    return mobilenet_v3_block(in_channels, out_channels, in_channels * expansion, stride)


BLOCKS: dict[str, Block] = {
    "mobilenet_v1": Block(
        name="mobilenet_v1",
        title="MobileNetV1 block",
        description="depthwise 3×3 + BN + ReLU, then pointwise 1×1 + BN + ReLU",
        caption="The depthwise 3×3 filters each channel spatially; the pointwise 1×1 mixes "
        "the channels. Together they replace a standard 3×3 conv at about 1/C_out + 1/9 of "
        "its cost.",
        build=_v1,
    ),
    "mobilenet_v2": Block(
        name="mobilenet_v2",
        title="MobileNetV2 inverted residual",
        description="1×1 expand ×6 + BN + ReLU6, depthwise 3×3 + BN + ReLU6, "
        "1×1 project + BN (linear)",
        caption="Expand the channels with a cheap 1×1, filter them with a depthwise 3×3, "
        "project back with a linear 1×1; when stride is 1 and the channels match, the "
        "block's input is added to its output (the residual skip).",
        build=_v2,
    ),
    "mobilenet_v3": Block(
        name="mobilenet_v3",
        title="MobileNetV3 block",
        description="1×1 expand ×4 + BN + hardswish, depthwise 3×3 + BN + hardswish, "
        "squeeze-excite, 1×1 project + BN, skip",
        caption="MobileNetV3's bottleneck: the squeeze-and-excitation pools each channel of "
        "the depthwise output to one number, and a tiny 1×1 → ReLU → 1×1 → hardsigmoid "
        "turns those into per-channel gates.",
        build=_v3,
    ),
}


def make_block(
    name: str, in_channels: int, out_channels: int, stride: int = 1, **options: object
) -> list[LayerSpec]:
    """The layers of block ``name`` for ``in_channels`` inputs (options: ``split`` for
    mobilenet_v1, ``expansion`` for mobilenet_v2).

    Raises
    ------
    SpecError
        Unknown block, or a bad channel count / stride / expansion (naming the field).
    """
    try:
        block = BLOCKS[name]
    except KeyError:
        raise SpecError(
            f"unknown block {name!r}; expected one of {', '.join(BLOCKS)}", field="block"
        ) from None
    return block.build(in_channels, out_channels, stride, **options)
