"""Channel names: R, G, B of an image, Y of a gray one, and a scene's ``channel_names``."""

from __future__ import annotations

import pytest

from explorer.core.errors import SceneError
from explorer.core.io.samples import assets_dir
from explorer.core.io.scene import InputSpec, Scene, load_scene, scene_from_dict, scene_to_dict
from explorer.core.model.channel_names import channel_names
from explorer.core.model.specs import default_spec

BASE = {
    "format": "conv-explorer-scene",
    "version": 1,
    "layers": [{"kind": "pointwise", "out_channels": 3}],
}


def test_image_channels_are_named_by_the_mode():
    assert channel_names(Scene(), -1, 3) == ["R", "G", "B"]
    gray = Scene(input=InputSpec(mode="grayscale"))
    assert channel_names(gray, -1, 1) == ["Y"]
    random = Scene(input=InputSpec(shape=(3, 8, 8)))
    assert channel_names(random, -1, 3) is None  # a random tensor's channels have no names
    assert channel_names(Scene(), -1, 4) is None  # names must match the channels
    assert channel_names(Scene(), 0, 3) is None  # a layer's outputs only when a scene says


def test_scene_names_round_trip_and_must_fit():
    data = dict(BASE, channel_names={"1": ["Y", "Cb", "Cr"], "input": ["r", "g", "b"]})
    scene = scene_from_dict(data)
    assert channel_names(scene, 0, 3) == ["Y", "Cb", "Cr"]
    assert channel_names(scene, -1, 3) == ["r", "g", "b"]
    assert channel_names(scene, 0, 4) is None  # the layer was changed to 4 channels
    again = scene_from_dict(scene_to_dict(scene))
    assert again == scene
    assert scene_to_dict(Scene(layers=(default_spec("pointwise"),))).get("channel_names") is None


@pytest.mark.parametrize(
    "names, words",
    [
        ({"2": ["a"]}, 'unknown field "2"'),
        ({"1": "Y"}, "must be a list of strings"),
        ({"1": ["Y", 3]}, "must be a string"),
        (["Y"], "must be an object"),
    ],
)
def test_bad_names_are_refused_naming_the_field(names, words):
    with pytest.raises(SceneError, match="channel_names") as info:
        scene_from_dict(dict(BASE, channel_names=names))
    assert words in str(info.value)


def test_the_ycbcr_slide_names_its_outputs():
    scene = load_scene(assets_dir() / "lessons" / "03_rgb_to_ycbcr.json")
    assert channel_names(scene, 0, 3) == ["Y", "Cb", "Cr"]
    assert channel_names(scene, -1, 3) == ["R", "G", "B"]
