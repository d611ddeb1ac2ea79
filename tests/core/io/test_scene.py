"""The scene file: round trips, atomic saves, and a one-line message for each mistake."""

from __future__ import annotations

import copy
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from explorer.core.errors import ImageError, ResourceError, SceneError, SpecError
from explorer.core.io import scene as scene_module
from explorer.core.io.samples import assets_dir
from explorer.core.io.scene import (
    FORMAT,
    VERSION,
    InputSpec,
    Scene,
    load_scene,
    save_scene,
    scene_from_dict,
    scene_to_dict,
    scene_to_json,
    validate_scene,
)
from explorer.core.model.specs import (
    CheckpointTensor,
    DepthwiseSpec,
    InlineTensor,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
)


def valid() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": "Test",
        "input": {"image": "sample:coffee", "size": 64},
        "layers": [
            {"kind": "pointwise", "out_channels": 4},
            {"kind": "depthwise", "kernel_size": 3, "padding": "same"},
            {"kind": "separable", "out_channels": 8, "stride": [2, 1], "padding": 1},
        ],
    }


def write(folder: Path, data: Any, name: str = "scene.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def rich_scene(folder: Path) -> Scene:
    image = folder / "pics" / "photo.png"
    image.parent.mkdir(exist_ok=True)
    Image.new("RGB", (40, 30), (1, 2, 3)).save(image)
    checkpoint = folder / "weights.pt"
    checkpoint.write_bytes(b"not read by load_scene")
    return Scene(
        title="Rich — ünïcode",
        caption="A caption\nwith two lines",
        seed=12345,
        input=InputSpec(image=str(image), size=32, mode="grayscale"),
        layers=(
            StandardSpec(
                out_channels=2,
                kernel_size=(3, 1),
                padding=(1, 0),
                groups=1,
                batch_norm=True,
                activation="relu6",
                weights=(
                    (
                        "weight",
                        InlineTensor(shape=(2, 1, 3, 1), values=(0.5, -1.0, 2.0, 0.1, 0.2, 1e-9)),
                    ),
                ),
            ),
            PointwiseSpec(
                out_channels=3,
                bias=False,
                weights=(
                    (
                        "weight",
                        InlineTensor(shape=(3, 2, 1, 1), values=(1.0, 0.0, 0.0, 1.0, 0.5, 0.5)),
                    ),
                ),
            ),
            DepthwiseSpec(multiplier=2, kernel_size=(5, 5), padding="same", dilation=(1, 1)),
            SeparableSpec(
                out_channels=4,
                stride=(2, 2),
                padding=(1, 1),
                weights=(("pointwise.weight", CheckpointTensor(str(checkpoint), "w")),),
            ),
        ),
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    scene = rich_scene(tmp_path)
    path = tmp_path / "out" / "saved.json"
    path.parent.mkdir()
    save_scene(scene, path)
    assert load_scene(path) == scene
    data = json.loads(path.read_text(encoding="utf-8"))
    # paths are stored relative to the scene's folder, with forward slashes
    assert data["input"]["image"] == "../pics/photo.png"
    assert data["layers"][3]["weights"]["pointwise.weight"] == {
        "checkpoint": "../weights.pt",
        "key": "w",
    }
    # square pairs are written as one integer; 1×1 weights as a C_out × C_in matrix
    assert data["layers"][2]["kernel_size"] == 5 and data["layers"][0]["kernel_size"] == [3, 1]
    assert data["layers"][1]["weights"]["weight"] == [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    assert scene_from_dict(scene_to_dict(scene, tmp_path / "out"), tmp_path / "out") == scene
    assert json.loads(scene_to_json(scene)) == scene_to_dict(scene)


def test_round_trip_of_samples_and_random_inputs(tmp_path: Path) -> None:
    for inp in (
        InputSpec(),
        InputSpec(image="sample:rocket", size=100),
        InputSpec(shape=(64, 32, 32)),
    ):
        scene = Scene(input=inp, layers=(PointwiseSpec(out_channels=128),))
        save_scene(scene, tmp_path / "s.json")
        assert load_scene(tmp_path / "s.json") == scene


def test_relative_paths_in_memory_are_taken_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pic.png").write_bytes(b"")
    (tmp_path / "saves").mkdir()
    monkeypatch.chdir(tmp_path)
    save_scene(Scene(input=InputSpec(image="pic.png")), tmp_path / "saves" / "s.json")
    data = json.loads((tmp_path / "saves" / "s.json").read_text(encoding="utf-8"))
    assert data["input"]["image"] == "../pic.png"


def test_defaults_are_torch_defaults() -> None:
    scene = scene_from_dict(
        {
            "format": FORMAT,
            "version": 1,
            "layers": [{"kind": "standard", "out_channels": 5}, {"kind": "depthwise"}],
        }
    )
    assert scene.layers == (StandardSpec(out_channels=5), DepthwiseSpec())
    assert scene.input == InputSpec() and scene.seed == 0 and scene.title == ""


def test_two_d_matrix_for_one_by_one_kernels_only() -> None:
    doc = valid()
    doc["layers"][0]["weights"] = {"weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]}
    spec = scene_from_dict(doc).layers[0]
    assert spec.weights[0][1].shape == (4, 3, 1, 1)
    validate_scene(scene_from_dict(doc))
    doc["layers"][1]["weights"] = {"weight": [[1, 0, 0]]}
    with pytest.raises(
        SceneError, match=r"layer 2 \(depthwise\), field 'weights.weight': shape \[1, 3\]"
    ):
        validate_scene(scene_from_dict(doc))


def test_checkpoint_shorthand_targets_the_main_weight(tmp_path: Path) -> None:
    doc = valid()
    doc["layers"][0]["weights"] = {"checkpoint": "w.pt", "key": "conv.weight"}
    doc["layers"][2]["weights"] = {"checkpoint": "/abs/w.pt", "key": "pw"}
    scene = scene_from_dict(doc, tmp_path)
    assert scene.layers[0].weights == (
        ("weight", CheckpointTensor(str(tmp_path / "w.pt"), "conv.weight")),
    )
    assert scene.layers[2].weights == (("pointwise.weight", CheckpointTensor("/abs/w.pt", "pw")),)
    path = write(tmp_path, doc)
    with pytest.raises(
        SceneError,
        match=r"layer 1 \(pointwise\), field 'weights.weight': checkpoint file not found",
    ):
        load_scene(path)


ERRORS = [
    # (change to the valid document, expected message after "scene.json: ")
    (
        lambda d: d["layers"][1].update(kernel_size="3"),
        "layer 2 (depthwise), field 'kernel_size': must be an integer or a pair [h, w], got \"3\"",
    ),
    (
        lambda d: d["layers"][1].update(kernal_size=3),
        'layer 2 (depthwise): unknown field "kernal_size"; did you mean "kernel_size"?',
    ),
    (
        lambda d: d["layers"][0].pop("out_channels"),
        "layer 1 (pointwise): missing field 'out_channels' (a pointwise layer needs it)",
    ),
    (
        lambda d: d["layers"][0].update(kind="pointwize"),
        "layer 1, field 'kind': must be one of standard, pointwise, depthwise, separable, "
        'maxpool, avgpool, activation, block, got "pointwize"; did you mean "pointwise"?',
    ),
    (lambda d: d["layers"][0].pop("kind"), "layer 1: missing field 'kind'"),
    (lambda d: d["layers"].append(3), "layer 4: must be an object"),
    (
        lambda d: d["layers"][2].update(stride=[2, 0]),
        "layer 3 (separable), field 'stride': must be between 1 and 1024, got 0",
    ),
    (
        lambda d: d["layers"][2].update(padding="valid"),
        'layer 3 (separable), field \'padding\': must be an integer, a pair [h, w] or "same", got "valid"',
    ),
    (
        lambda d: d["layers"][1].update(stride=2),
        "layer 2 (depthwise), field 'padding': padding 'same' needs stride 1",
    ),
    (
        lambda d: d["layers"][0].update(bias="yes"),
        "layer 1 (pointwise), field 'bias': must be true or false, got \"yes\"",
    ),
    (
        lambda d: d["layers"][0].update(activation="ReLU"),
        "layer 1 (pointwise), field 'activation': must be one of none, relu, relu6, hardswish, hardsigmoid, sigmoid, silu, leaky_relu, prelu, got \"ReLU\"",
    ),
    (
        lambda d: d["layers"][0].update(out_channels=4.0),
        "layer 1 (pointwise), field 'out_channels': must be an integer, got 4.0",
    ),
    (
        lambda d: d["layers"][0].update(weights={"wieght": [[1, 2, 3]]}),
        'layer 1 (pointwise), field \'weights\': unknown field "wieght"; did you mean "weight"?',
    ),
    (
        lambda d: d["layers"][0].update(weights={"weight": [[1, 2], [3]]}),
        "layer 1 (pointwise), field 'weights.weight': not rectangular",
    ),
    (
        lambda d: d["layers"][0].update(weights={"weight": [[1, "2", 3]]}),
        "layer 1 (pointwise), field 'weights.weight': values must be numbers, got \"2\"",
    ),
    (
        lambda d: d["layers"][0].update(weights={"bias": []}),
        "layer 1 (pointwise), field 'weights.bias': an empty list is not a tensor",
    ),
    (
        lambda d: d["layers"][0].update(weights={"weight": {"checkpoint": "a.pt"}}),
        "layer 1 (pointwise), field 'weights.weight': a checkpoint reference needs both",
    ),
    (
        lambda d: d.update(version=7),
        "version 7 is newer than this Conv Explorer understands (2); update the app",
    ),
    (lambda d: d.update(version="1"), "field 'version': must be an integer, got \"1\""),
    (lambda d: d.pop("version"), "missing field 'version'"),
    (lambda d: d.update(format="something-else"), "not a Conv Explorer scene"),
    (lambda d: d.update(layer=[]), 'unknown field "layer"; did you mean "layers"?'),
    (lambda d: d.update(layers={}), "field 'layers': must be a list"),
    (lambda d: d.update(seed=-1), "field 'seed': must be between 0 and 4294967295, got -1"),
    (lambda d: d.update(title=5), "field 'title': must be a string, got 5"),
    (lambda d: d["input"].update(mode="bgr"), "input, field 'mode': must be one of rgb, grayscale"),
    (lambda d: d["input"].update(size=0), "input, field 'size': must be between 1 and 8192, got 0"),
    (
        lambda d: d["input"].update(shape=[3, 4]),
        "input, field 'shape': must be [C, H, W], got [3, 4]",
    ),
    (
        lambda d: d["input"].update(image="sample:cofee"),
        "input, field 'image': sample:cofee: no such sample; did you mean 'coffee'?",
    ),
    (lambda d: d["input"].update(image="nowhere.png"), "input, field 'image': "),
    # checks that need the input shape, done by validate_scene
    (
        lambda d: d["layers"].append({"kind": "standard", "out_channels": 3, "groups": 3}),
        "layer 4 (standard), field 'groups': groups=3 does not divide the 8 input channels",
    ),
    (
        lambda d: d["layers"].insert(
            0, {"kind": "standard", "out_channels": 3, "kernel_size": 100}
        ),
        "layer 1 (standard), field 'kernel_size': kernel 100×100 is bigger than the padded input (43×64)",
    ),
    (
        lambda d: d["layers"][0].update(weights={"bias": [1, 2]}),
        "layer 1 (pointwise), field 'weights.bias': shape [2] does not fit this layer, which needs [4]",
    ),
    (
        lambda d: d["layers"][0].update(bias=False, weights={"bias": [1, 2, 3, 4]}),
        "layer 1 (pointwise), field 'weights.bias': sets the bias but the layer has \"bias\": false",
    ),
]


@pytest.mark.parametrize(("change", "expected"), ERRORS)
def test_each_mistake_has_a_one_line_message(tmp_path: Path, change: Any, expected: str) -> None:
    doc = copy.deepcopy(valid())
    change(doc)
    path = write(tmp_path, doc)
    with pytest.raises(SceneError) as info:
        load_scene(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {expected}"), message
    assert "\n" not in message


def test_missing_image_names_its_path(tmp_path: Path) -> None:
    doc = valid()
    doc["input"]["image"] = "pics/gone.png"
    with pytest.raises(SceneError) as info:
        load_scene(write(tmp_path, doc))
    assert str(tmp_path / "pics" / "gone.png") in str(info.value)
    assert "no such file" in str(info.value)
    assert isinstance(info.value.__cause__, ImageError)


def test_too_big_for_memory_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = valid()
    doc["input"] = {"shape": [64, 4096, 4096]}
    doc["layers"] = [{"kind": "pointwise", "out_channels": 4096}]
    with pytest.raises(SceneError) as info:
        load_scene(write(tmp_path, doc))
    assert isinstance(info.value.__cause__, ResourceError)
    assert str(info.value).startswith(str(tmp_path / "scene.json") + ": ")


def test_validate_scene_returns_the_costs_and_keeps_the_cause() -> None:
    cost = validate_scene(scene_from_dict(valid()))
    assert cost.input_shape == (3, 43, 64)
    assert cost.layers[-1].output_shape == (8, 22, 64)
    bad = Scene(input=InputSpec(shape=(3, 8, 8)), layers=(StandardSpec(out_channels=4, groups=2),))
    with pytest.raises(SceneError, match="layer 1 \\(standard\\), field 'groups'") as info:
        validate_scene(bad)
    assert isinstance(info.value.__cause__, SpecError) and info.value.__cause__.field == "groups"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"format": "conv-explorer-scene",\n  "version": 1,,\n}',
            "not valid JSON at line 2, column 16",
        ),
        ("", "empty file"),
        ("[1, 2]", "must be a JSON object {...} at the top, got [1, 2]"),
        (
            '{"format": "conv-explorer-scene", "version": 1, "seed": 1, "seed": 2}',
            'the key "seed" appears twice',
        ),
        ("[" * 100_000, "nested too deeply"),
        ('{"version": 1' + "1" * 5000 + "}", "not valid JSON"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SceneError) as info:
        load_scene(path)
    assert str(info.value).startswith(f"{path}: "), str(info.value)
    assert expected in str(info.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="no such file"):
        load_scene(tmp_path / "missing.json")
    with pytest.raises(SceneError, match="is a folder"):
        load_scene(tmp_path)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SceneError, match="not UTF-8"):
        load_scene(binary)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(valid()).encode())
    assert load_scene(path).title == "Test"


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "scene.json"
    first = Scene(title="first")
    save_scene(first, path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scene_module.os, "replace", broken_replace)
    with pytest.raises(SceneError, match=r"scene.json: cannot save \(No space left on device\)"):
        save_scene(Scene(title="second"), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.json"]  # no temporary left


def test_save_keeps_the_file_mode_and_reports_bad_folders(tmp_path: Path) -> None:
    path = tmp_path / "scene.json"
    save_scene(Scene(), path)
    os.chmod(path, 0o640)
    save_scene(Scene(title="again"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(SceneError, match="cannot save"):
        save_scene(Scene(), tmp_path / "no" / "such" / "folder.json")


def test_every_bundled_scene_loads() -> None:
    paths = sorted((assets_dir() / "scenes").glob("*.json"))
    paths += sorted((assets_dir() / "lessons").glob("[0-9]*.json"))
    assert paths
    for path in paths:
        scene = load_scene(path)
        assert scene.title, path
        assert scene_from_dict(scene_to_dict(scene, path.parent), path.parent) == scene


def test_channel_names_of_removed_layers_are_not_saved(tmp_path: Path) -> None:
    """A scene whose stack lost the layer its channel names were for still saves a file
    that opens (found by the monkey: remove every layer of a lesson slide, save, reopen)."""
    named = (("input", ("R", "G", "B")), ("1", ("Y", "Cb", "Cr")), ("2", ("a",)))
    scene = Scene(layers=(PointwiseSpec(out_channels=3),), channel_names=named)
    path = tmp_path / "short.json"
    save_scene(scene, path)
    again = load_scene(path)
    assert again.channel_names == named[:2]
    save_scene(Scene(layers=(), channel_names=named), path)
    assert load_scene(path, validate=False).channel_names == named[:1]
