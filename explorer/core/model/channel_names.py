"""Names of channels where they have them: R, G, B of a colour image, Y of a gray one,
and whatever a scene's ``channel_names`` field says (e.g. Y, Cb, Cr after a 1×1 layer)."""

from __future__ import annotations

from explorer.core.model.scene_model import Scene

__all__ = ["channel_names"]

_IMAGE = {"rgb": ("R", "G", "B"), "grayscale": ("Y",)}


def channel_names(scene: Scene, index: int, count: int) -> list[str] | None:
    """The names of the ``count`` output channels of layer ``index`` (``-1``: the input),
    or ``None`` when they have none (or the scene's names no longer fit the layer)."""
    key = "input" if index < 0 else str(index + 1)
    names = dict(scene.channel_names).get(key)
    if names is None and index < 0 and scene.input.shape is None:
        names = _IMAGE.get(scene.input.mode)
    return list(names) if names is not None and len(names) == count else None
