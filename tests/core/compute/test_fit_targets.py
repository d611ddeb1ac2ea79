"""Fit targets (explorer.core.compute.fit_targets) against torch, and the scene's "fit" record."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer.core.compute.fit_targets import (
    FILTER_KERNELS,
    FitError,
    gaussian_kernel,
    make_target,
    parse_target,
    prepare_target,
)
from explorer.core.compute.run import quiet_same_padding
from explorer.core.errors import SceneError
from explorer.core.io.inputs import random_input
from explorer.core.io.scene import Scene, load_scene, save_scene, scene_from_dict
from explorer.core.model.fit_record import FitRecord
from explorer.core.model.specs import default_spec

LESSONS = Path(__file__).resolve().parents[3] / "assets" / "lessons"


def _torch_filter(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    c = image.shape[0]
    w = torch.tensor(kernel, dtype=torch.float64)[None, None].repeat(c, 1, 1, 1)
    x = torch.tensor(image, dtype=torch.float64)[None]
    with quiet_same_padding():
        return F.conv2d(x, w, padding="same", groups=c)[0].numpy()


@pytest.mark.parametrize("name", ["sobel-x", "sobel-y", "laplacian"])
def test_filters_equal_torch_same_padding(name):
    image = random_input((2, 9, 11), seed=1)
    expected = _torch_filter(image, np.asarray(FILTER_KERNELS[name]))
    np.testing.assert_allclose(make_target(name, image), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_box_equals_torch_mean_filter(k):
    image = random_input((1, 7, 8), seed=2)
    expected = _torch_filter(image, np.full((k, k), 1 / k**2))
    np.testing.assert_allclose(make_target(f"box:{k}", image), expected, rtol=1e-5, atol=1e-6)


def test_gaussian_kernel_is_normalised_and_sized():
    g = gaussian_kernel(1.5)
    assert g.shape == (11, 11) and g.sum() == pytest.approx(1.0)
    image = random_input((1, 16, 16), seed=0)
    np.testing.assert_allclose(
        make_target("gaussian:1.5", image), _torch_filter(image, g), rtol=1e-5, atol=1e-6
    )


def test_gray_and_ycbcr_match_the_lesson_matrices():
    image = np.random.default_rng(0).random((3, 4, 5), dtype=np.float32)
    slide = json.loads((LESSONS / "03_rgb_to_ycbcr.json").read_text())
    weights = slide["layers"][0]["weights"]
    m, b = np.asarray(weights["weight"]), np.asarray(weights["bias"])
    expected = np.einsum("oc,chw->ohw", m, image) + b[:, None, None]
    np.testing.assert_allclose(make_target("ycbcr", image), expected, atol=1e-6)
    np.testing.assert_allclose(make_target("gray", image), expected[:1], atol=1e-6)


def test_npy_target(tmp_path):
    image = random_input((3, 6, 6))
    layers = (default_spec("pointwise", out_channels=2),)
    good = tmp_path / "t.npy"
    np.save(good, np.ones((2, 6, 6)))
    _, t = prepare_target(f"npy:{good}", image, layers)
    assert t.shape == (2, 6, 6) and t.dtype == np.float32
    np.save(tmp_path / "bad.npy", np.ones((3, 6, 6)))
    with pytest.raises(FitError, match="wrong channel count.*3×6×6.*2×6×6"):
        prepare_target(f"npy:{tmp_path / 'bad.npy'}", image, layers)
    (tmp_path / "junk.npy").write_text("not numpy")
    with pytest.raises(FitError, match="cannot read it"):
        make_target(f"npy:{tmp_path / 'junk.npy'}", image)
    np.save(tmp_path / "nan.npy", np.full((2, 6, 6), np.nan))
    with pytest.raises(FitError, match="NaN"):
        make_target(f"npy:{tmp_path / 'nan.npy'}", image)


def test_scene_target_and_a_scene_that_cannot_run(tmp_path):
    image = random_input((3, 8, 8))
    other = Scene(layers=(default_spec("standard", out_channels=2),), seed=4)
    save_scene(other, tmp_path / "other.json")
    t = make_target(f"scene:{tmp_path / 'other.json'}", image)
    from explorer.core.compute.run import run_stack

    expected = list(run_stack(other.layers, image, seed=4, device="cpu"))[-1].output
    np.testing.assert_array_equal(t, expected)
    too_many = Scene(
        layers=(default_spec("standard", out_channels=2, kernel_size=3, padding=0),) * 5
    )
    save_scene(too_many, tmp_path / "shrinks.json")
    with pytest.raises(FitError, match="cannot run on this input"):
        make_target(f"scene:{tmp_path / 'shrinks.json'}", image)
    with pytest.raises(FitError, match="cannot run on this input.*no such file"):
        make_target(f"scene:{tmp_path / 'missing.json'}", image)


@pytest.mark.parametrize(
    "text, match",
    [
        ("grey", "unknown target 'grey'"),
        ("gaussian:0", "sigma"),
        ("gaussian", "gaussian:SIGMA"),
        ("box:0", "box:K"),
        ("scene:", "scene:PATH"),
    ],
)
def test_bad_target_names(text, match):
    with pytest.raises(FitError, match=match):
        parse_target(text)


def test_fit_record_round_trips_with_relative_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    scene = Scene(
        layers=(default_spec("pointwise", out_channels=1),),
        fit=FitRecord(
            target=f"scene:{tmp_path / 'sub' / 't.json'}",
            optimizer="sgd",
            lr=1.0,
            momentum=0.9,
            steps=30,
            loss_end=1e-9,
            steps_done=30,
        ),
    )
    save_scene(scene, tmp_path / "a.json")
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["fit"]["target"] == "scene:sub/t.json"
    assert data["version"] == 1
    assert load_scene(tmp_path / "a.json", memory=False).fit == scene.fit


@pytest.mark.parametrize(
    "fit, match",
    [
        ({"optimizer": "adam"}, "fit.target"),
        ({"target": "gray", "lr": "fast"}, "fit.lr"),
        ({"target": "gray", "optimizer": "lbfgs"}, "fit.optimizer"),
        ({"target": "gray", "speed": 1}, "unknown field 'speed'"),
    ],
)
def test_bad_fit_records_are_refused(fit, match):
    data = {"format": "conv-explorer-scene", "version": 1, "fit": fit}
    with pytest.raises(SceneError, match=match):
        scene_from_dict(data, source="x.json")
