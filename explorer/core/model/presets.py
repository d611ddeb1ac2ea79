"""Weight presets people can reason about, and single-weight edits.

A preset fills a layer's weights with values that mean something: the identity, a channel
permutation, RGB→grayscale, RGB→YUV/YCbCr and seeded random (Kaiming uniform, torch's default
init) for the C_out×C_in matrix of a 1×1 layer; identity, box blur, Gaussian, Sobel x/y,
Laplacian and sharpen for a k×k kernel. The values go on ``spec.weights`` as
``(target, InlineTensor)`` pairs (targets from :data:`~explorer.core.model.specs.WEIGHT_TARGETS`), so
they are saved with the scene and the builder applies them.

Pointwise presets fill ``weight`` of a pointwise layer or ``pointwise.weight`` of a separable
one; kernel presets fill ``weight`` of a depthwise or standard layer or ``depthwise.weight``
of a separable one (``identity`` and ``random``, in both families, take ``part=``).
On a standard layer a k×k kernel preset is spread over the C_out × C_in/g kernels:
``spread="diagonal"`` puts the kernel on output channel *o* reading input channel
*o mod (C_in/g)* of its group (so with C_out = C_in each channel is filtered on its own), and
``spread="mean"`` gives every output the kernel applied to the mean of its input channels
(Sobel on RGB→1 finds the edges of the gray image). The default is ``"diagonal"`` when each
group has at least as many outputs as inputs, else ``"mean"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from explorer.core.errors import SpecError
from explorer.core.model.kinds.parts import Conv
from explorer.core.model.specs import InlineTensor, LayerSpec

__all__ = [
    "KERNEL_PRESETS",
    "POINTWISE_PRESETS",
    "YCBCR_MATRIX",
    "YUV_MATRIX",
    "apply_preset",
    "kaiming_uniform",
    "kernel_preset",
    "pointwise_preset",
    "presets_for",
    "set_weight_value",
    "target_shapes",
    "with_weight",
]

GRAY_WEIGHTS = (0.299, 0.587, 0.114)
#: BT.601 RGB → YUV (analogue), rows Y, U, V.
YUV_MATRIX = np.array(
    [[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]]
)
#: BT.601 full-range RGB → YCbCr (JPEG), rows Y, Cb, Cr; offsets (0, ½, ½)·range as bias.
YCBCR_MATRIX = np.array(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]
)

#: name → one-line description, in menu order.
POINTWISE_PRESETS: dict[str, str] = {
    "identity": "Y = X: output c copies input c (extra outputs are 0, extra inputs dropped)",
    "permutation": "output c copies input order[c] (default: the channels reversed)",
    "rgb_to_gray": "gray = 0.299·R + 0.587·G + 0.114·B (replicated on every output)",
    "rgb_to_yuv": "BT.601 RGB → YUV: luma Y and the colour differences U, V",
    "rgb_to_ycbcr": "BT.601 RGB → YCbCr (JPEG), with the Cb/Cr offsets as bias",
    "random": "seeded Kaiming uniform, like torch's default init",
}
KERNEL_PRESETS: dict[str, str] = {
    "identity": "a single 1 in the centre: the output equals the input",
    "box_blur": "the mean of the k×k window",
    "gaussian": "Gaussian blur, σ = 0.3·((k−1)/2 − 1) + 0.8 (OpenCV's rule) unless given",
    "sobel_x": "horizontal gradient (finds vertical edges)",
    "sobel_y": "vertical gradient (finds horizontal edges)",
    "laplacian": "second derivative in x and y: bright on thin lines and spots",
    "sharpen": "identity + (identity − blur): boosts edges",
    "random": "seeded Kaiming uniform, like torch's default init",
}


def _err(message: str, spec: LayerSpec | None = None, field: str = "weights") -> SpecError:
    return SpecError(message, field=field, kind=spec.kind if spec is not None else None)


def kaiming_uniform(
    shape: Sequence[int], seed: int = 0, *, fan_in: int | None = None
) -> np.ndarray:
    """Uniform in ±1/√fan_in: torch's default ``Conv2d`` init (``kaiming_uniform_(a=√5)``
    for the weight, and the same bound for the bias), drawn from a seeded generator.

    ``fan_in`` defaults to ``prod(shape[1:])`` (C_in/g·k_h·k_w of a conv weight).
    """
    shape = tuple(int(s) for s in shape)
    if fan_in is None:
        fan_in = math.prod(shape[1:]) if len(shape) > 1 else shape[0]
    bound = 1.0 / math.sqrt(max(fan_in, 1))
    rng = np.random.default_rng(seed)
    return rng.uniform(-bound, bound, size=shape)


def pointwise_preset(
    name: str, in_channels: int, out_channels: int, **options: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """The C_out×C_in matrix (torch layout: row = output channel) and the bias of a preset.

    Options: ``order`` (permutation), ``offset`` (rgb_to_ycbcr, default 0.5 for images in
    [0, 1]; 128 for 0–255), ``seed`` (random). The bias is ``None`` when the preset has none
    (then a layer with ``bias=True`` gets zeros).

    Raises
    ------
    SpecError
        (field ``weights``) when the preset does not fit the channels or is unknown.
    """
    c_in, c_out = int(in_channels), int(out_channels)
    bias = None
    if name == "identity":
        return np.eye(c_out, c_in), None
    if name == "permutation":
        order = options.get("order")
        order = list(range(c_in))[::-1] if order is None else [int(i) for i in order]
        if len(order) != c_out:
            raise _err(
                f"preset 'permutation' needs one input channel per output: order has "
                f"{len(order)} entries, the layer has {c_out} output channels"
            )
        bad = [i for i in order if not 0 <= i < c_in]
        if bad:
            raise _err(
                f"preset 'permutation': channel {bad[0]} does not exist "
                f"(the layer gets {c_in} input channels, 0..{c_in - 1})"
            )
        matrix = np.zeros((c_out, c_in))
        matrix[np.arange(c_out), order] = 1.0
        return matrix, None
    if name in ("rgb_to_gray", "rgb_to_yuv", "rgb_to_ycbcr"):
        if c_in != 3:
            raise _err(f"preset {name!r} needs 3 input channels (R, G, B); this layer gets {c_in}")
        if name == "rgb_to_gray":
            return np.tile(np.array(GRAY_WEIGHTS), (c_out, 1)), None
        if c_out != 3:
            raise _err(
                f"preset {name!r} needs 3 output channels; this layer has {c_out}",
                field="out_channels",
            )
        if name == "rgb_to_yuv":
            return YUV_MATRIX.copy(), None
        offset = float(options.get("offset", 0.5))
        bias = np.array([0.0, offset, offset])
        return YCBCR_MATRIX.copy(), bias
    if name == "random":
        seed = int(options.get("seed", 0))
        return kaiming_uniform((c_out, c_in), seed), kaiming_uniform(
            (c_out,), seed + 1, fan_in=c_in
        )
    raise _err(f"unknown pointwise preset {name!r}; expected one of {', '.join(POINTWISE_PRESETS)}")


def _binomial(n: int) -> np.ndarray:
    """Row ``n`` of Pascal's triangle (length n+1): the discrete Gaussian smoothing."""
    return np.array([math.comb(n, i) for i in range(n + 1)], dtype=float)


def _derivative(k: int) -> np.ndarray:
    """OpenCV's Sobel derivative of odd length ``k``: binomial(k−3) ∗ [−1, 0, 1]."""
    return np.convolve(_binomial(k - 3), [-1.0, 0.0, 1.0])


def _second_derivative(k: int) -> np.ndarray:
    return np.convolve(_binomial(k - 3), [1.0, -2.0, 1.0])


def _need_odd(name: str, size: tuple[int, int], minimum: int, axes: str = "hw") -> None:
    for axis, k in zip("hw", size, strict=True):
        if axis in axes and (k < minimum or k % 2 == 0):
            shape = f"{size[0]}×{size[1]}"
            need = (
                f"an odd kernel size of at least {minimum}" if minimum > 1 else "an odd kernel size"
            )
            raise _err(
                f"kernel preset {name!r} needs {need}; kernel_size is {shape}", field="kernel_size"
            )


def _gaussian_1d(k: int, sigma: float | None) -> np.ndarray:
    if sigma is None:
        sigma = 0.3 * ((k - 1) * 0.5 - 1) + 0.8
    x = np.arange(k) - (k - 1) / 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def kernel_preset(name: str, kernel_size: int | Sequence[int], **options: Any) -> np.ndarray:
    """A k_h×k_w kernel for a preset (used as torch weights: cross-correlation).

    3×3 gives the canonical kernels (Sobel x ``[[−1,0,1],[−2,0,2],[−1,0,1]]``, Laplacian
    ``[[0,1,0],[1,−4,1],[0,1,0]]``, sharpen ``[[0,−1,0],[−1,5,−1],[0,−1,0]]``). Other sizes:
    Sobel and Laplacian as OpenCV builds them (binomial smoothing ⊗ derivative, odd sizes ≥ 3),
    sharpen as an unsharp mask ``2·identity − gaussian`` (odd sizes), box and Gaussian any
    size. Options: ``sigma`` (gaussian), ``seed`` (random).

    Raises
    ------
    SpecError
        (field ``kernel_size``) when the preset has no sensible kernel of that size.
    """
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    size = (int(kh), int(kw))
    kh, kw = size
    if name == "identity":
        _need_odd(name, size, 1)
        kernel = np.zeros(size)
        kernel[kh // 2, kw // 2] = 1.0
        return kernel
    if name == "box_blur":
        return np.full(size, 1.0 / (kh * kw))
    if name == "gaussian":
        sigma = options.get("sigma")
        return np.outer(_gaussian_1d(kh, sigma), _gaussian_1d(kw, sigma))
    if name == "sobel_x":
        _need_odd(name, size, 3, "w")
        return np.outer(_binomial(kh - 1), _derivative(kw))
    if name == "sobel_y":
        _need_odd(name, size, 3, "h")
        return np.outer(_derivative(kh), _binomial(kw - 1))
    if name == "laplacian":
        _need_odd(name, size, 3)
        if size == (3, 3):
            return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
        return np.outer(_binomial(kh - 1), _second_derivative(kw)) + np.outer(
            _second_derivative(kh), _binomial(kw - 1)
        )
    if name == "sharpen":
        _need_odd(name, size, 3)
        if size == (3, 3):
            return np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])
        return 2 * kernel_preset("identity", size) - kernel_preset("gaussian", size)
    if name == "random":
        return kaiming_uniform(size, int(options.get("seed", 0)), fan_in=kh * kw)
    raise _err(f"unknown kernel preset {name!r}; expected one of {', '.join(KERNEL_PRESETS)}")


def target_shapes(spec: LayerSpec, in_channels: int) -> dict[str, tuple[int, ...]]:
    """torch's shape of every weight target of ``spec`` on ``in_channels`` inputs
    (bias targets only when ``spec.bias``)."""
    convs = spec.conv_targets(int(in_channels))
    if not convs:
        raise _err(f"{spec.kind} layers have no convolution weights to set", spec, field="kind")
    shapes: dict[str, tuple[int, ...]] = {}
    for target, conv in convs.items():
        shape = (conv.c_out, conv.c_in // conv.groups, *conv.kernel)
        shapes[target] = shape
        if spec.bias:
            shapes[target[: -len("weight")] + "bias"] = (shape[0],)
    return shapes


def _preset_conv(
    spec: LayerSpec, in_channels: int, part: str | None, pointwise_first: bool
) -> tuple[str, Conv]:
    """``(target prefix, conv part)`` that a preset on ``part`` of ``spec`` fills.

    A layer with one convolution: that one (``part`` is ignored). With several (separable),
    ``part`` names one (``"depthwise"``, ``"pointwise"``); ``None`` picks the 1×1 matrix
    when ``pointwise_first``, else the first k×k conv.
    """
    convs = spec.conv_targets(int(in_channels))
    if not convs:
        raise _err(f"{spec.kind} layers have no convolution weights to set", spec, field="kind")
    if len(convs) == 1:
        target, conv = next(iter(convs.items()))
        return target[: -len("weight")], conv
    owners = {t[: -len(".weight")]: c for t, c in convs.items()}
    if part is None:
        part = next(
            (o for o, c in owners.items() if c.matrix == pointwise_first), next(iter(owners))
        )
    if part not in owners:
        names = " or ".join(repr(o) for o in owners)
        raise _err(f"part must be {names}, got {part!r}", spec)
    return part + ".", owners[part]


def with_weight(spec: LayerSpec, target: str, values: np.ndarray) -> LayerSpec:
    """A copy of ``spec`` whose ``target`` is set inline to ``values`` (replacing any source
    it had; other targets are kept)."""
    # the batch norm's targets too: a layer whose BN was set (a fit, an imported model)
    # keeps them, and sorting them by the conv targets alone raised ValueError
    order = spec.weight_targets()
    if target not in order:
        raise _err(
            f"{spec.kind} layers have no weight {target!r}; expected one of {', '.join(order)}",
            spec,
        )
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)):
        raise _err(f"{target} has a value that is not a finite number", spec)
    tensor = InlineTensor(shape=tuple(array.shape), values=tuple(float(v) for v in array.ravel()))
    kept = tuple((t, s) for t, s in spec.weights if t != target)
    weights = sorted(
        kept + ((target, tensor),),
        key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order),
    )
    return replace(spec, weights=tuple(weights))


def _kernel_bank(
    spec: LayerSpec,
    shape: tuple[int, ...],
    groups: int,
    names: Sequence[str],
    spread: str | None,
    options: dict[str, Any],
) -> np.ndarray:
    c_out, c_in_g, kh, kw = shape
    kernels = [kernel_preset(n, (kh, kw), **options) for n in names]
    if "random" in names:  # a fresh draw per output channel, not one kernel repeated
        seed = int(options.get("seed", 0))
        bank = kaiming_uniform(shape, seed)
        if set(names) == {"random"}:
            return bank
    if groups < 1 or c_out % groups or c_out < groups:
        raise SpecError(
            f"groups={groups} does not divide the {c_out} output channels",
            field="groups",
            kind=spec.kind,
        )
    out_per_group = c_out // groups
    if spread is None:
        spread = "diagonal" if out_per_group >= c_in_g else "mean"
    if spread not in ("diagonal", "mean"):
        raise _err(f"spread must be 'diagonal' or 'mean', got {spread!r}", spec)
    weight = np.zeros(shape)
    for o in range(c_out):
        kernel = kernels[o % len(kernels)]
        if names[o % len(names)] == "random":
            weight[o] = bank[o]
        elif spread == "mean":
            weight[o] = kernel / c_in_g
        else:
            weight[o, (o % out_per_group) % c_in_g] = kernel
    return weight


def apply_preset(
    spec: LayerSpec,
    in_channels: int,
    name: str | Sequence[str],
    *,
    part: str | None = None,
    **options: Any,
) -> LayerSpec:
    """A copy of ``spec`` with a preset's weights (and bias) set inline.

    ``name`` is a key of :data:`POINTWISE_PRESETS` or :data:`KERNEL_PRESETS`; for k×k layers
    also a sequence of kernel presets cycled over the output channels (a depthwise layer with
    multiplier 2 and ``("sobel_x", "sobel_y")`` gets both gradients of every channel).
    ``part`` (separable only): ``"depthwise"`` or ``"pointwise"``; default the family of
    ``name``, pointwise when in both. ``options``: ``order``, ``offset``, ``seed``, ``sigma``,
    ``spread`` (see :func:`pointwise_preset`, :func:`kernel_preset`, the module docstring).

    The returned spec gets the preset's bias when it has one (zeros if the preset has none);
    ``bias`` is switched on for a non-zero preset bias (rgb_to_ycbcr).

    Raises
    ------
    SpecError
        When the preset does not fit the layer (e.g. ``rgb_to_gray`` on 16 input channels).
    """
    names = [name] if isinstance(name, str) else list(name)
    if not names:
        raise _err("no preset given", spec)
    in_pw = all(n in POINTWISE_PRESETS for n in names)
    in_kernel = all(n in KERNEL_PRESETS for n in names)
    if not (in_pw or in_kernel):
        unknown = next(n for n in names if n not in POINTWISE_PRESETS and n not in KERNEL_PRESETS)
        raise _err(f"unknown preset {unknown!r}", spec)
    prefix, conv = _preset_conv(spec, in_channels, part, pointwise_first=in_pw)
    family = "pointwise" if conv.matrix else "kernel"
    if not (in_pw if family == "pointwise" else in_kernel):
        what, takes = ("a k×k kernel", "1×1") if family == "pointwise" else ("a 1×1", "k×k")
        offered = POINTWISE_PRESETS if family == "pointwise" else KERNEL_PRESETS
        raise _err(
            f"{names[0]!r} is {what} preset; a {takes} layer takes one of {', '.join(offered)}",
            spec,
        )

    shapes = target_shapes(spec, in_channels)
    w_shape = shapes[prefix + "weight"]
    bias: np.ndarray | None = None
    try:
        if family == "pointwise":
            if len(names) != 1:
                raise _err("a 1×1 layer takes a single preset", spec)
            matrix, bias = pointwise_preset(names[0], w_shape[1], w_shape[0], **options)
            weight = matrix.reshape(w_shape)
        else:
            groups = conv.groups
            weight = _kernel_bank(
                spec, w_shape, groups, names, options.pop("spread", None), options
            )
            if "random" in names:
                bias = kaiming_uniform(
                    (w_shape[0],), int(options.get("seed", 0)) + 1, fan_in=math.prod(w_shape[1:])
                )
    except SpecError as exc:
        raise SpecError(exc.message, field=exc.field, kind=spec.kind) from None
    new = with_weight(spec, prefix + "weight", weight)
    if bias is not None and np.any(bias != 0) and not new.bias:
        new = replace(new, bias=True)
    if new.bias:
        new = with_weight(new, prefix + "bias", np.zeros(w_shape[0]) if bias is None else bias)
    return new


def set_weight_value(
    spec: LayerSpec,
    in_channels: int,
    target: str,
    index: Sequence[int],
    value: float,
    *,
    current: np.ndarray,
) -> LayerSpec:
    """A copy of ``spec`` with one weight (a matrix cell, a kernel tap, a bias) edited.

    ``current`` is the tensor the layer uses now for ``target`` (from the builder's
    ``layer_weights``); it is written inline with ``current[index] = value``, so the edit
    also pins every other value of that tensor.

    Raises
    ------
    SpecError
        (field ``weights``) for an unknown target, a shape that does not fit the layer, an
        index out of range or a value that is not a finite number.
    """
    shapes = target_shapes(spec, in_channels)
    if target not in shapes:
        raise _err(
            f"{spec.kind} layer has no weight {target!r} here; expected one of {', '.join(shapes)}",
            spec,
        )
    array = np.array(current, dtype=float)
    if array.shape != shapes[target]:
        raise _err(
            f"{target} should have shape {list(shapes[target])}, got {list(array.shape)}", spec
        )
    index = tuple(int(i) for i in index)
    if len(index) != array.ndim or any(
        not 0 <= i < n for i, n in zip(index, array.shape, strict=True)
    ):
        raise _err(f"index {list(index)} is outside {target} of shape {list(array.shape)}", spec)
    value = float(value)
    if not math.isfinite(value):
        raise _err(f"{value} is not a finite number", spec)
    array[index] = value
    return with_weight(spec, target, array)


def presets_for(spec: LayerSpec, part: str | None = None) -> dict[str, str]:
    """The presets a layer (or a part of a separable layer) offers, name → description
    (the 1×1 ones for a matrix part, which is the default part when there are several)."""
    try:
        try:
            _, conv = _preset_conv(spec, 2, part, pointwise_first=True)
        except SpecError:  # a part the layer does not have: its default part
            _, conv = _preset_conv(spec, 2, None, pointwise_first=True)
    except SpecError:  # no convolution weights at all
        return dict(KERNEL_PRESETS)
    return dict(POINTWISE_PRESETS if conv.matrix else KERNEL_PRESETS)
