"""What happens to set weights when a layer's shape changes: keep what still fits.

Weights set inline on a layer (a preset, a hand edit, the table) have the shape the layer had
then. When an edit changes that shape (kernel size, channels, groups, the input's channels,
turning the bias off…), :func:`fit_weights` drops exactly the tensors that no longer fit and
says which; every tensor that still fits is kept. The document applies it to every edit
(:attr:`explorer.core.model.document.SceneDocument.fit`), so the edit and the drop are one undo step:
Undo brings the weights back with the old shape. Opening a file whose weights do not fit
does the same, as a separate step after opening.

Checkpoint sources are left alone (their shapes are checked when the layer is built), and so
are the layers of a stack that is invalid from that layer on (their shapes are not known).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from explorer.core.errors import ExplorerError
from explorer.core.model.presets import target_shapes
from explorer.core.model.scene_model import InputSpec, Scene
from explorer.core.model.specs import InlineTensor, LayerSpec

__all__ = ["fit_weights"]


def _valid_channels(spec: LayerSpec, channels: int) -> bool:
    """Whether every convolution's groups divide its input and output channels."""
    return all(
        conv.groups >= 1 and conv.c_in % conv.groups == 0 and conv.c_out % conv.groups == 0
        for conv in spec.conv_targets(channels).values()
    )


def fit_weights(
    scene: Scene, shape_of: Callable[[InputSpec], tuple[int, ...]]
) -> tuple[Scene, list[str]]:
    """``(scene with the inline weights that no longer fit removed, one line per removal)``.

    ``shape_of`` gives the input's ``(C, H, W)`` (:func:`explorer.core.io.inputs.input_shape`);
    when it fails, or nothing needs to go, ``scene`` itself is returned.
    """
    if not any(spec.weights for spec in scene.layers):
        return scene, []
    try:
        channels = int(shape_of(scene.input)[0])
    except (ExplorerError, OSError, ValueError, TypeError):
        return scene, []
    layers = list(scene.layers)
    notes: list[str] = []
    for i, spec in enumerate(layers):
        if not _valid_channels(spec, channels):
            break
        try:
            shapes = target_shapes(spec, channels)
        except ExplorerError:
            break
        kept = []
        for target, source in spec.weights:
            need = shapes.get(target)
            if isinstance(source, InlineTensor) and tuple(source.shape) != need:
                why = "the layer has no bias now" if need is None else f"it needs {list(need)} now"
                notes.append(
                    f"layer {i + 1}: dropped the set {target} {list(source.shape)} ({why})"
                )
                continue
            kept.append((target, source))
        if len(kept) != len(spec.weights):
            layers[i] = replace(spec, weights=tuple(kept))
        weights = [s for t, s in shapes.items() if t.endswith("weight")]
        channels = int(weights[-1][0])
    if not notes:
        return scene, []
    return replace(scene, layers=tuple(layers)), notes
