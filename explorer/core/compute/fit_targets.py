"""What a fit trains toward: a target array computed from the input image.

A target is named by a short string, the same in the window and on the command line:

==================  ====================================================================
``gray``            ITU-R BT.601 luma ``0.299·R + 0.587·G + 0.114·B`` (1 channel)
``ycbcr``           full-range BT.601 (JPEG/JFIF) Y, Cb, Cr, with Cb and Cr offset by 0.5
``sobel-x``         Sobel x of each channel (3×3, zero padding: the input's size)
``sobel-y``         Sobel y of each channel
``gaussian:SIGMA``  Gaussian blur of each channel, kernel ``2·ceil(3σ)+1``
``laplacian``       4-neighbour Laplacian of each channel
``box:K``           K×K mean of each channel
``scene:PATH``      the output of another scene's stack on the same input
``npy:PATH``        an array saved with ``numpy.save`` (``(C, H, W)`` or ``(H, W)``)
==================  ====================================================================

Filters use zero padding ``"same"``, exactly what a k×k convolution with ``padding="same"``
computes, so a layer of that size can match them exactly. :func:`make_target` returns a
float32 ``(C, H, W)`` array; :func:`check_target_shape` refuses a target that does not have
the stack's output shape with one line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.core.errors import ExplorerError
from explorer.core.model.specs import LayerSpec
from explorer.core.text import shape_text

__all__ = [
    "FILTER_KERNELS",
    "TARGET_NAMES",
    "FitError",
    "TargetSpec",
    "check_target_shape",
    "make_target",
    "parse_target",
    "prepare_target",
]

#: The targets a user can choose, as written (``SIGMA``, ``K``, ``PATH`` stand for values).
TARGET_NAMES = (
    "gray",
    "ycbcr",
    "sobel-x",
    "sobel-y",
    "gaussian:SIGMA",
    "laplacian",
    "box:K",
    "scene:PATH",
    "npy:PATH",
)

LUMA = (0.299, 0.587, 0.114)
#: Full-range BT.601 (JFIF) for values in [0, 1]: rows Y, Cb, Cr; offsets (0, 0.5, 0.5).
YCBCR = (
    (0.299, 0.587, 0.114),
    (-0.168736, -0.331264, 0.5),
    (0.5, -0.418688, -0.081312),
)
YCBCR_OFFSET = (0.0, 0.5, 0.5)

FILTER_KERNELS = {
    "sobel-x": ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0)),
    "sobel-y": ((-1.0, -2.0, -1.0), (0.0, 0.0, 0.0), (1.0, 2.0, 1.0)),
    "laplacian": ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0)),
}
_MAX_SIGMA = 32.0
_MAX_BOX = 65


class FitError(ExplorerError):
    """A fit cannot start (bad target, nothing to train) or cannot go on."""


@dataclass(frozen=True)
class TargetSpec:
    """A parsed target: ``name`` (``"gray"``, ``"gaussian"``, ``"scene"`` …) and its
    argument (``sigma``, ``k`` or a path), with ``text`` as the user wrote it."""

    name: str
    text: str
    value: float | int | str | None = None


def parse_target(text: str) -> TargetSpec:
    """Parse a target name such as ``"gaussian:1.5"``.

    Raises
    ------
    FitError
        Naming the target and what is wrong with it.
    """
    text = str(text).strip()
    name, sep, arg = text.partition(":")
    name = name.lower()
    if name in ("gray", "ycbcr", "sobel-x", "sobel-y", "laplacian") and not sep:
        return TargetSpec(name, text)
    if name == "gaussian":
        try:
            sigma = float(arg)
        except ValueError:
            raise FitError(f"target {text!r}: write gaussian:SIGMA, e.g. gaussian:1.5") from None
        if not (0 < sigma <= _MAX_SIGMA):
            raise FitError(f"target {text!r}: sigma must be in (0, {_MAX_SIGMA:g}]")
        return TargetSpec(name, text, sigma)
    if name == "box":
        if not arg.isdigit() or not 1 <= int(arg) <= _MAX_BOX:
            raise FitError(f"target {text!r}: write box:K with K an integer 1..{_MAX_BOX}")
        return TargetSpec(name, text, int(arg))
    if name in ("scene", "npy"):
        if not arg:
            raise FitError(f"target {text!r}: write {name}:PATH")
        return TargetSpec(name, text, str(Path(arg).expanduser()))
    raise FitError(f"unknown target {text!r}; expected one of {', '.join(TARGET_NAMES)}")


def _need_rgb(image: np.ndarray, name: str) -> None:
    if image.shape[0] != 3:
        raise FitError(
            f"target {name!r} needs an RGB input (3 channels), the input has {image.shape[0]}"
        )


def _per_channel(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Cross-correlate each channel with ``kernel`` (as ``torch.conv2d``), zero padding
    ``"same"`` (for an even size, torch's split: the extra row/column at the end)."""
    import torch
    import torch.nn.functional as F

    c = image.shape[0]
    weight = torch.from_numpy(np.ascontiguousarray(kernel, dtype=np.float64))
    weight = weight[None, None].repeat(c, 1, 1, 1)
    x = torch.from_numpy(np.asarray(image, dtype=np.float64))[None]
    kh, kw = kernel.shape
    # torch's "same": total padding k-1, left k-1 // 2, right the rest
    pad = ((kw - 1) // 2, kw - 1 - (kw - 1) // 2, (kh - 1) // 2, kh - 1 - (kh - 1) // 2)
    x = F.pad(x, pad)
    out = F.conv2d(x, weight, groups=c)
    return out[0].numpy()


def gaussian_kernel(sigma: float) -> np.ndarray:
    """The normalised 2-D Gaussian of ``sigma``, size ``2·ceil(3σ)+1``."""
    radius = max(1, math.ceil(3 * sigma))
    xs = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-(xs**2) / (2 * sigma**2))
    g /= g.sum()
    return np.outer(g, g)


def _load_npy(path: str) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise FitError(
            f"target npy:{path}: cannot read it ({' '.join(str(exc).split())})"
        ) from None
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.number):
        raise FitError(f"target npy:{path}: must hold one numeric array")
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise FitError(f"target npy:{path}: must be (C, H, W) or (H, W), got {list(array.shape)}")
    if not np.isfinite(array).all():
        raise FitError(f"target npy:{path}: holds NaN or infinite values")
    return array


def _scene_output(path: str, image: np.ndarray) -> np.ndarray:
    from explorer.core.compute.run import run_stack
    from explorer.core.io.scene import load_scene

    try:
        scene = load_scene(path)
        if not scene.layers:
            raise FitError(f"target scene:{path}: the scene has no layers")
        results = list(run_stack(scene.layers, image, seed=scene.seed, device="cpu"))
    except FitError:
        raise
    except (ExplorerError, OSError, ValueError) as exc:
        raise FitError(
            f"target scene:{path} cannot run on this input: {' '.join(str(exc).split())}"
        ) from None
    except RuntimeError as exc:  # torch: the stack does not fit the input
        raise FitError(
            f"target scene:{path} cannot run on this input: {' '.join(str(exc).split())[:200]}"
        ) from None
    return np.asarray(results[-1].output)


def make_target(target: TargetSpec | str, image: np.ndarray) -> np.ndarray:
    """The target array for ``image`` ``(C, H, W)``: float32 ``(C_t, H_t, W_t)``.

    Raises
    ------
    FitError
        When the target needs another channel count, or its file or scene cannot be used.
    """
    spec = parse_target(target) if isinstance(target, str) else target
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 3:
        raise FitError(f"the input must be (C, H, W), got shape {list(image.shape)}")
    if spec.name == "gray":
        _need_rgb(image, spec.text)
        out = np.tensordot(np.asarray(LUMA), image, axes=1)[None]
    elif spec.name == "ycbcr":
        _need_rgb(image, spec.text)
        out = np.tensordot(np.asarray(YCBCR), image, axes=1)
        out += np.asarray(YCBCR_OFFSET)[:, None, None]
    elif spec.name in FILTER_KERNELS:
        out = _per_channel(image, np.asarray(FILTER_KERNELS[spec.name]))
    elif spec.name == "gaussian":
        out = _per_channel(image, gaussian_kernel(float(spec.value)))  # type: ignore[arg-type]
    elif spec.name == "box":
        k = int(spec.value)  # type: ignore[arg-type]
        out = _per_channel(image, np.full((k, k), 1.0 / (k * k)))
    elif spec.name == "npy":
        out = _load_npy(str(spec.value))
    elif spec.name == "scene":
        out = _scene_output(str(spec.value), image.astype(np.float32))
    else:  # pragma: no cover - parse_target knows every name
        raise FitError(f"unknown target {spec.text!r}")
    return np.ascontiguousarray(out, dtype=np.float32)


def check_target_shape(target: np.ndarray, output_shape: tuple[int, ...], text: str) -> None:
    """Refuse a target whose shape is not the stack's output shape, in one line."""
    got, want = tuple(target.shape), tuple(int(v) for v in output_shape)
    if got == want:
        return
    what = "channel count" if got[1:] == want[1:] else "shape"
    raise FitError(
        f"target {text!r} has the wrong {what}: it is {shape_text(got)} but the "
        f"stack's output is {shape_text(want)}"
    )


def prepare_target(
    text: str | TargetSpec, image: np.ndarray, layers: Sequence[LayerSpec]
) -> tuple[TargetSpec, np.ndarray]:
    """Parse ``text``, compute the target for ``image`` and check it against the output
    shape of ``layers`` on that image: what a fit needs before it starts.

    Raises
    ------
    FitError
        A bad target, one the input cannot give, or one of the wrong shape.
    SpecError
        If the stack cannot run on the image.
    """
    from explorer.core.analysis.costs import stack_cost

    spec = parse_target(text) if isinstance(text, str) else text
    if not layers:
        raise FitError("nothing to train: the stack has no layers")
    shape = stack_cost(tuple(np.shape(image)), layers).output_shape
    array = make_target(spec, image)
    check_target_shape(array, shape, spec.text)
    return spec, array
