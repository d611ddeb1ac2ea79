"""Helpers of the window tests in this folder (a unique module name: see conftest)."""

from __future__ import annotations


def small_scene(**input_fields):
    """A pointwise + depthwise scene on a random 3×12×12 input (runs in milliseconds)."""
    from explorer.core.io.scene import InputSpec, Scene
    from explorer.core.model.specs import default_spec

    spec = InputSpec(**input_fields) if input_fields else InputSpec(shape=(3, 12, 12))
    return Scene(
        input=spec,
        layers=(
            default_spec("pointwise", out_channels=4),
            default_spec("depthwise", kernel_size=(1, 1)),
        ),
    )


def state_of(win) -> tuple:
    """What must not change when a bad file is refused: scene, path, results, revision."""
    c = win.controller
    return (
        win.document.scene,
        win.document.path,
        dict(c.results),
        c.input_image is not None and id(c.input_image),
        c.revision,
    )


def shown_maps(win) -> list:
    """Copies of the arrays the feature-map grid draws now."""
    return [item.image.copy() for _, item in win.feature_grid.visible_image_items()]
