"""Set weights when a layer's shape changes: what fits stays, the rest goes in the same
undo step; the guard before building one layer; a kernel preset on a layer that cannot take it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from explorer.core.analysis.layer_guard import MAX_EDIT_VALUES, guard_layer
from explorer.core.errors import ResourceError, SpecError
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.presets import apply_preset, with_weight
from explorer.core.model.specs import default_spec
from explorer.core.model.weight_fit import fit_weights


def _shape(spec: InputSpec):
    return spec.shape


def _scene() -> Scene:
    dw = apply_preset(default_spec("depthwise", kernel_size=(3, 3)), 3, "box_blur")
    pw = apply_preset(default_spec("pointwise", out_channels=3), 3, "identity")
    return Scene(input=InputSpec(shape=(3, 16, 16)), layers=(dw, pw))


def test_fitting_weights_are_kept_and_nothing_changes():
    scene = _scene()
    assert fit_weights(scene, _shape) == (scene, [])


def test_a_kernel_size_change_drops_only_that_layers_weight():
    scene = _scene()
    bigger = replace(scene.layers[0], kernel_size=(5, 5))
    fitted, notes = fit_weights(replace(scene, layers=(bigger, scene.layers[1])), _shape)
    targets0 = [t for t, _ in fitted.layers[0].weights]
    assert targets0 == ["bias"]  # the bias [3] still fits: kept
    assert fitted.layers[1] == scene.layers[1]
    assert notes == ["layer 1: dropped the set weight [3, 1, 3, 3] (it needs [3, 1, 5, 5] now)"]


def test_bias_off_and_input_channels_change():
    scene = _scene()
    no_bias = replace(scene.layers[1], bias=False)
    fitted, notes = fit_weights(replace(scene, layers=(scene.layers[0], no_bias)), _shape)
    assert [t for t, _ in fitted.layers[1].weights] == ["weight"]
    assert "has no bias" in notes[0]
    gray = replace(scene, input=InputSpec(shape=(1, 16, 16)))
    fitted, notes = fit_weights(gray, _shape)
    assert fitted.layers[0].weights == ()  # depthwise weight and bias: 1 channel now
    assert [t for t, _ in fitted.layers[1].weights] == ["bias"]  # 3 outputs still
    assert len(notes) == 3


def test_an_invalid_layer_keeps_its_weights():
    scene = Scene(
        input=InputSpec(shape=(3, 8, 8)),
        layers=(
            with_weight(
                default_spec("standard", out_channels=4, groups=1), "weight", np.ones((4, 3, 3, 3))
            ),
        ),
    )
    bad = replace(scene, layers=(replace(scene.layers[0], groups=2),))
    assert fit_weights(bad, _shape) == (bad, [])


def test_the_document_drops_in_the_edit_and_undo_restores():
    doc = SceneDocument(_scene())
    doc.fit = lambda s: fit_weights(s, _shape)
    seen = []
    doc.adjusted.connect(seen.append)
    before = doc.scene
    doc.replace_layer(0, replace(doc.layers[0], kernel_size=(5, 5)))
    assert [t for t, _ in doc.layers[0].weights] == ["bias"] and len(seen) == 1
    assert doc.undo() and doc.scene == before
    assert doc.redo() and [t for t, _ in doc.layers[0].weights] == ["bias"]


def test_guard_layer():
    layers = (default_spec("standard", out_channels=4, groups=2),)
    with pytest.raises(SpecError, match="groups"):
        guard_layer((3, 8, 8), layers, 0)
    big = (default_spec("standard", out_channels=4096, kernel_size=(25, 25)),)
    with pytest.raises(ResourceError, match="weights"):
        guard_layer((1024, 64, 64), big, 0)
    wide = (default_spec("pointwise", out_channels=1024),)
    assert 1024 * 1024 > MAX_EDIT_VALUES
    with pytest.raises(SpecError, match="too many to set by hand"):
        guard_layer((1024, 4, 4), wide, 0)
    assert guard_layer((1024, 4, 4), wide, 0, edit=False) == 1024
    assert guard_layer((3, 8, 8), (default_spec("pointwise"),), 0) == 3


def test_kernel_preset_on_groups_that_do_not_divide_is_refused_not_a_crash():
    spec = default_spec("standard", out_channels=2, groups=4, kernel_size=(3, 3))
    with pytest.raises(SpecError, match="groups"):
        apply_preset(spec, 4, "sobel_x")
