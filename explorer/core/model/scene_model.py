"""The scene as data: what the user built (input, layers, seed), frozen.

Kept apart from :mod:`.scene` (reading, writing and checking scene files) so that the
modules those need — :mod:`.scene_format` (parsing) and :mod:`.inputs` (resolving the
input) — can use :class:`InputSpec` and :class:`Scene` without importing :mod:`.scene`:
the core's imports have no cycle (the ``acyclic_siblings`` import-linter contract).
Everyone else imports these names from :mod:`explorer.core.io.scene`, which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer.core.model.fit_record import FitRecord
from explorer.core.model.specs import LayerSpec

__all__ = ["FORMAT", "VERSION", "InputSpec", "Scene"]

FORMAT = "conv-explorer-scene"
VERSION = 2


@dataclass(frozen=True, kw_only=True)
class InputSpec:
    """What goes into the first layer.

    Attributes
    ----------
    image
        An image path (absolute in memory; relative to the scene in the file), or
        ``"sample:NAME"`` for a bundled sample, or ``None`` for the default sample.
    size
        Working size: the longest side in pixels after downscaling (never upscaled).
    mode
        ``"rgb"`` (3 channels) or ``"grayscale"`` (1 channel).
    shape
        ``(C, H, W)`` of a seeded random tensor used instead of an image (e.g. the
        64-channel example); ``None`` to use the image.
    normalize
        ``(mean, std)`` per channel (or one value for all): an image's values in [0, 1]
        become ``(x − mean) / std``, the input range an imported model expects.
        ``None``: the image as it is, in [0, 1].
    """

    image: str | None = None
    size: int = 256
    mode: str = "rgb"
    shape: tuple[int, int, int] | None = None
    normalize: tuple[tuple[float, ...], tuple[float, ...]] | None = None


@dataclass(frozen=True, kw_only=True)
class Scene:
    """A stack of layers on an input, with the seed of its random weights."""

    layers: tuple[LayerSpec, ...] = ()
    seed: int = 0
    input: InputSpec = field(default_factory=InputSpec)
    title: str = ""
    caption: str = ""
    #: What the stack was (or is to be) fitted to, and how it ended (optional).
    fit: FitRecord | None = None
    #: ``(("input", ("R", "G", "B")), ("1", ("Y", "Cb", "Cr")))``: names of the input's
    #: channels and of a layer's output channels (layer numbers from 1), where a scene gives them.
    channel_names: tuple[tuple[str, tuple[str, ...]], ...] = ()
