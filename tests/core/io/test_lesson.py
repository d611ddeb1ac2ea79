"""Lessons: the index format, its errors, and the lesson that ships with the app."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from explorer.core.analysis.costs import find_comparisons, stack_cost
from explorer.core.errors import SceneError
from explorer.core.io.inputs import input_shape
from explorer.core.io.lesson import default_lesson_path, load_lesson, slide_text
from explorer.core.io.scene import load_scene
from explorer.core.model.presets import kernel_preset
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec

SHIPPED = [
    "01_what_is_1x1.json",
    "02_rgb_to_gray.json",
    "03_rgb_to_ycbcr.json",
    "04_cost_1x1_vs_3x3.json",
    "05_depthwise_alone.json",
    "06_separable.json",
    "07_mobilenet_v1_block.json",
    "08_mobilenet_v2_inverted_residual.json",
    "09_no_spatial_context.json",
    "10_walkthrough_pointwise.json",
    "11_walkthrough_depthwise.json",
    "12_trained_depthwise_paddleocr.json",
    "13_trained_depthwise_blazeface.json",
    "14_fit_gray.json",
    "15_fit_separable_target.json",
    "16_fit_separable.json",
    "17_distil_trained.json",
]


def n(v: int) -> str:
    return f"{v:,}"


def numbers_for(name: str, cost, layers) -> list[str]:
    """The numbers each caption must state, computed from the scene's own costs."""
    comps = find_comparisons(layers, cost)
    rf = [f"{c.receptive_field[0]}×{c.receptive_field[1]}" for c in cost.layers]
    return {
        "01_what_is_1x1.json": lambda: [  # layer 2, the 1×1 (layer 1 reads the photo)
            n(cost.layers[1].params),
            n(cost.layers[1].macs),
            n(2 * cost.layers[1].macs),
            "8,320",
            str(list(cost.output_shape)),
        ],
        "02_rgb_to_gray.json": lambda: [n(cost.macs), "0.299", "0.587", "0.114"],
        "03_rgb_to_ycbcr.json": lambda: [n(cost.params), n(cost.macs)],
        "04_cost_1x1_vs_3x3.json": lambda: [  # layers 2 and 3 (layer 1 reads the photo)
            n(cost.layers[1].macs),
            n(cost.layers[2].macs),
            str(cost.layers[1].macs // cost.layers[2].macs),
        ],
        "05_depthwise_alone.json": lambda: [
            n(cost.params),
            n(cost.macs),
            str(cost.output_shape[0]),
        ],
        "06_separable.json": lambda: [
            n(comps[0].separable_macs),
            n(comps[0].standard.macs),
            f"{comps[0].formula_ratio:.3f}",
            f"{1 / comps[0].macs_ratio:.1f}×",
            n(comps[0].separable_params),
            n(comps[0].standard.params),
        ],
        "07_mobilenet_v1_block.json": lambda: [  # the block after MobileNet's first layer
            n(sum(layer.params for layer in cost.layers[1:])),
            n(sum(layer.macs for layer in cost.layers[1:])),
            n(comps[0].standard.macs),
        ],
        "08_mobilenet_v2_inverted_residual.json": lambda: [  # the block after layer 1
            n(sum(layer.params for layer in cost.layers[1:])),
            n(sum(layer.macs for layer in cost.layers[1:])),
            str(cost.layers[1].output_shape[0]),
        ],
        "09_no_spatial_context.json": lambda: rf,
        "10_walkthrough_pointwise.json": lambda: [n(cost.params), n(cost.macs)],
        "11_walkthrough_depthwise.json": lambda: [n(cost.params), n(cost.macs)],
        "12_trained_depthwise_paddleocr.json": lambda: [
            n(cost.layers[-1].params),
            n(cost.layers[-1].macs),
        ],
        "13_trained_depthwise_blazeface.json": lambda: [
            n(cost.layers[-1].params),
            n(cost.layers[-1].macs),
        ],
        "14_fit_gray.json": lambda: ["0.299", "0.587", "0.114"],
        "15_fit_separable_target.json": lambda: [n(cost.params)],
        "16_fit_separable.json": lambda: [
            n(comps[0].separable_params),
            n(comps[0].standard.params),
        ],
        "17_distil_trained.json": lambda: [
            n(cost.params),
            n(cost.macs),
        ],  # the target: test_fit_distil
    }[name]()


def test_shipped_lesson_loads_and_every_caption_states_its_own_numbers():
    lesson = load_lesson(default_lesson_path())
    assert lesson.title and [p.name for p in lesson.slides] == SHIPPED
    for path in lesson.slides:
        scene = load_scene(path)  # validates the stack on its input, weights included
        assert scene.title and scene.caption
        assert len(re.findall(r"[.!?](?:\s|$)", scene.caption)) <= 2, path.name
        cost = stack_cost(input_shape(scene.input), scene.layers)
        for number in numbers_for(path.name, cost, scene.layers):
            assert number in scene.caption, (path.name, number)
        assert slide_text(path) == (scene.title, scene.caption)


def test_shipped_slides_teach_what_they_say():
    slides = {p.name: load_scene(p) for p in load_lesson(default_lesson_path()).slides}
    gray = dict(slides["02_rgb_to_gray.json"].layers[0].weights)["weight"]
    assert gray.values == (0.299, 0.587, 0.114)
    dw = slides["05_depthwise_alone.json"].layers[0]
    assert isinstance(dw, DepthwiseSpec) and dw.multiplier == 2
    weight = np.array(dict(dw.weights)["weight"].values).reshape(6, 3, 3)
    np.testing.assert_array_equal(weight[0::2], [kernel_preset("sobel_x", 3)] * 3)
    np.testing.assert_array_equal(weight[1::2], [kernel_preset("sobel_y", 3)] * 3)
    first = slides["09_no_spatial_context.json"].layers[0]
    assert isinstance(first, PointwiseSpec)
    # the classic 64 → 128 example on [64, 32, 32], computed from a photo (issue 15:
    # lessons on photos unless the point is the shape alone)
    first = slides["01_what_is_1x1.json"]
    assert first.input.shape is None and first.input.image == "sample:astronaut"
    cost = stack_cost(input_shape(first.input), first.layers)
    assert cost.layers[1].input_shape == (64, 32, 32)
    assert isinstance(first.layers[1], PointwiseSpec)
    for name in ("04_cost_1x1_vs_3x3.json", "06_separable.json", "07_mobilenet_v1_block.json"):
        assert slides[name].input.shape is None, name
    assert slides["08_mobilenet_v2_inverted_residual.json"].input.shape is None
    assert "residual" in slides["08_mobilenet_v2_inverted_residual.json"].caption


def scene_file(path: Path, title: str = "t") -> Path:
    path.write_text(
        json.dumps(
            {
                "format": "conv-explorer-scene",
                "version": 1,
                "title": title,
                "caption": "c",
                "input": {"shape": [1, 4, 4]},
                "layers": [],
            }
        )
    )
    return path


def write_index(folder: Path, **fields) -> Path:
    data = {"format": "conv-explorer-lesson", "version": 1, "title": "T", "slides": ["a.json"]}
    data.update(fields)
    (folder / "lesson.json").write_text(json.dumps(data))
    return folder / "lesson.json"


def test_index_order_and_folder_without_index(tmp_path):
    scene_file(tmp_path / "b.json", "B")
    scene_file(tmp_path / "a.json", "A")
    plain = load_lesson(tmp_path)
    assert [p.name for p in plain.slides] == ["a.json", "b.json"] and len(plain) == 2
    index = write_index(tmp_path, slides=["b.json", "a.json"])
    for where in (tmp_path, index):
        lesson = load_lesson(where)
        assert lesson.title == "T" and [p.name for p in lesson.slides] == ["b.json", "a.json"]
        assert all(p.is_absolute() for p in lesson.slides)
    assert slide_text(lesson.slides[0]) == ("B", "c")


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"format": "conv-explorer-scene"}, '"format" must be "conv-explorer-lesson"'),
        ({"version": 7}, "version 7 is newer than this Conv Explorer understands (1)"),
        ({"version": "1"}, '"version" must be an integer'),
        ({"slides": []}, '"slides" must be a non-empty list'),
        ({"slides": ["missing.json"]}, "slide 1 (missing.json) does not exist"),
        ({"slides": ["/etc/passwd"]}, "must be relative to the lesson folder"),
        ({"slides": [3]}, "slide 1 must be a file name"),
        ({"title": 5}, '"title" must be a string'),
        ({"slide": []}, "unknown field 'slide'"),
    ],
)
def test_index_errors_name_the_file(tmp_path, fields, message):
    scene_file(tmp_path / "a.json")
    write_index(tmp_path, **fields)
    with pytest.raises(SceneError) as info:
        load_lesson(tmp_path)
    text = str(info.value)
    assert message in text and "lesson.json" in text and "\n" not in text


def test_unreadable_lessons(tmp_path):
    with pytest.raises(SceneError, match="no such file or folder"):
        load_lesson(tmp_path / "nope")
    with pytest.raises(SceneError, match="no lesson.json and no scene files"):
        load_lesson(tmp_path)
    (tmp_path / "lesson.json").write_text('{"format": "conv-explorer-lesson",\n "version": }')
    with pytest.raises(SceneError, match="not valid JSON: .* line 2, column 13"):
        load_lesson(tmp_path)
    (tmp_path / "lesson.json").write_text("[1, 2]")
    with pytest.raises(SceneError, match="must be a JSON object"):
        load_lesson(tmp_path)
    with pytest.raises(SceneError, match="no such file"):
        slide_text(tmp_path / "x.json")


def test_a_slide_can_open_a_tool(tmp_path):
    scene_file(tmp_path / "a.json")
    scene_file(tmp_path / "b.json")
    write_index(
        tmp_path,
        slides=[
            "a.json",
            {"scene": "b.json", "tool": "walkthrough", "options": {"layer": 1, "play": True}},
        ],
    )
    lesson = load_lesson(tmp_path)
    assert [p.name for p in lesson.slides] == ["a.json", "b.json"]
    assert lesson.tool_of(0) is None and lesson.tool_of(5) is None
    assert lesson.tool_of(1) == ("walkthrough", {"layer": 1, "play": True})
    for entry, words in (
        ({"scene": "b.json", "tool": 3}, "tool name"),
        ({"scene": "b.json", "tool": "w", "options": []}, "an object"),
        ({"scene": "b.json", "zoom": 2}, "unknown field 'zoom'"),
        ({"tool": "w"}, "must be a file name"),
    ):
        write_index(tmp_path, slides=[entry])
        with pytest.raises(SceneError, match=words):
            load_lesson(tmp_path)


def test_a_slide_can_select_the_layer_it_is_about(tmp_path):
    """``"layer": n`` selects layer n when the slide opens (a photo slide's first layer
    only makes the feature maps the slide is about); bad values are one-line errors."""
    scene_file(tmp_path / "a.json")
    write_index(tmp_path, slides=["a.json", {"scene": "a.json", "layer": 2}])
    lesson = load_lesson(tmp_path)
    assert [lesson.layer_of(i) for i in (0, 1, 7)] == [0, 2, 0]
    for bad in (True, -1, "2", 1.5):
        write_index(tmp_path, slides=[{"scene": "a.json", "layer": bad}])
        with pytest.raises(SceneError, match='slide 1: "layer" must be a layer number'):
            load_lesson(tmp_path)
    shipped = load_lesson(default_lesson_path())
    names = [p.name for p in shipped.slides]
    assert shipped.layer_of(names.index("01_what_is_1x1.json")) == 2  # the 1×1 itself
