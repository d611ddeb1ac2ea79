"""Fitting (explorer.core.compute.fit): the weights it lands on, against the formulas and torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.core.compute.build import build_stack
from explorer.core.compute.fit import FitOptions, fit_stack, run_fit
from explorer.core.compute.fit_targets import LUMA, FitError, prepare_target
from explorer.core.compute.run import run_stack
from explorer.core.io.inputs import random_input, resolve_input
from explorer.core.io.scene import load_scene
from explorer.core.model.specs import InlineTensor, default_spec

LESSONS = Path(__file__).resolve().parents[3] / "assets" / "lessons"


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _weights(spec) -> dict[str, np.ndarray]:
    return {t: np.asarray(s.values).reshape(s.shape) for t, s in spec.weights}


def _output(layers, image, seed=0) -> np.ndarray:
    return np.asarray(list(run_stack(layers, image, seed=seed, device="cpu"))[-1].output)


def test_pointwise_learns_gray_on_a_random_tensor():
    image = random_input((3, 32, 32), seed=3)
    layers = (default_spec("pointwise", out_channels=1),)
    _, target = prepare_target("gray", image, layers)
    result = run_fit(layers, image, target, FitOptions(steps=300, lr=0.05))
    w = _weights(result.layers[0])
    assert result.reason == "done"
    assert np.abs(w["weight"].ravel() - LUMA).max() < 0.01
    assert abs(float(w["bias"][0])) < 0.01
    assert result.loss_end < 1e-6 * result.loss_start
    # the saved weights reproduce the fitted output in a fresh build
    out = _output(result.layers, image)
    np.testing.assert_allclose(out, target, atol=1e-4)


def test_gray_lesson_lands_on_the_luma_weights_on_a_photo():
    scene = load_scene(LESSONS / "14_fit_gray.json")
    record = scene.fit
    assert record is not None and record.target == "gray"
    image = resolve_input(scene.input, seed=scene.seed)
    _, target = prepare_target(record.target, image, scene.layers)
    options = FitOptions(
        steps=record.steps,
        lr=record.lr,
        optimizer=record.optimizer,
        momentum=record.momentum,
        loss=record.loss_function,
    )
    assert not scene.layers[0].weights  # it starts from random weights
    result = run_fit(scene.layers, image, target, options, seed=scene.seed)
    w = _weights(result.layers[0])
    assert np.abs(w["weight"].ravel() - LUMA).max() < 0.01
    assert abs(float(w["bias"][0])) < 0.01


def test_the_gray_lesson_caption_states_what_happens():
    """The caption's numbers: the colour correlations, and where Adam stops instead."""
    scene = load_scene(LESSONS / "14_fit_gray.json")
    image = resolve_input(scene.input, seed=scene.seed)
    corr = np.corrcoef(image.reshape(3, -1))[np.triu_indices(3, 1)]
    assert 0.725 <= corr.min() and corr.max() < 0.965  # "0.73–0.96"
    assert "0.73–0.96" in scene.caption and "0.28, 0.65, 0.07" in scene.caption
    _, target = prepare_target("gray", image, scene.layers)
    result = run_fit(scene.layers, image, target, FitOptions(steps=2000, lr=0.01), seed=scene.seed)
    w = _weights(result.layers[0]).get("weight").ravel()
    np.testing.assert_allclose(w, [0.28, 0.65, 0.07], atol=0.006)  # not the luma weights
    assert 0.5e-4 < result.relative_error < 2e-4  # "a relative error near 1e-4"


def test_the_separable_lesson_levels_off_where_its_caption_says():
    scene = load_scene(LESSONS / "16_fit_separable.json")
    image = resolve_input(scene.input, seed=scene.seed)
    record = scene.fit
    _, target = prepare_target(record.target, image, scene.layers)
    options = FitOptions(steps=record.steps, lr=record.lr, optimizer=record.optimizer)
    result = run_fit(scene.layers, image, target, options, seed=scene.seed)
    assert "about 0.66" in scene.caption
    assert result.relative_error == pytest.approx(0.66, abs=0.01)
    standard = run_fit((default_spec("standard", out_channels=8),), image, target, options)
    assert standard.relative_error < 1e-4  # "the error goes to zero"


def _teacher_case():
    image = random_input((4, 20, 20), seed=5)
    teacher = (default_spec("standard", out_channels=4),)
    return image, _output(teacher, image, seed=7)


def test_standard_fits_a_standard_conv_but_separable_cannot():
    image, target = _teacher_case()
    options = FitOptions(steps=400, lr=0.03)
    standard = run_fit((default_spec("standard", out_channels=4),), image, target, options)
    separable = run_fit((default_spec("separable", out_channels=4),), image, target, options)
    assert standard.relative_error < 1e-4
    assert separable.relative_error > 1e-2
    assert separable.loss_end < separable.loss_start  # it did learn what it could


def test_same_seed_same_fit_and_seed_changes_the_start():
    image, target = _teacher_case()
    layers = (default_spec("separable", out_channels=4),)
    a = run_fit(layers, image, target, FitOptions(steps=40, lr=0.02, seed=11))
    b = run_fit(layers, image, target, FitOptions(steps=40, lr=0.02, seed=11))
    c = run_fit(layers, image, target, FitOptions(steps=40, lr=0.02, seed=12))
    assert a.losses == b.losses
    assert a.layers == b.layers
    assert a.losses[0] != c.losses[0]


def test_divergence_stops_and_keeps_the_best_weights():
    image = random_input((3, 16, 16), seed=1)
    layers = (default_spec("pointwise", out_channels=1),)
    _, target = prepare_target("gray", image, layers)
    result = run_fit(
        layers, image, target, FitOptions(steps=500, lr=1e4, optimizer="sgd", momentum=0.0)
    )
    assert result.reason == "diverged"
    assert "diverged" in result.message and result.steps < 500
    w = _weights(result.layers[0])
    assert all(np.isfinite(v).all() for v in w.values())
    assert np.isfinite(result.loss_end) and result.loss_end == min(result.losses)
    # the kept weights are the ones that gave that loss
    out = _output(result.layers, image)
    assert float(((out - target) ** 2).mean()) == pytest.approx(result.loss_end, rel=1e-3)


def test_stop_keeps_the_best_weights_so_far():
    image = random_input((3, 16, 16), seed=1)
    layers = (default_spec("pointwise", out_channels=1),)
    _, target = prepare_target("gray", image, layers)
    seen = []
    gen = fit_stack(
        layers, image, target, FitOptions(steps=1000, lr=0.05), should_abort=lambda: len(seen) >= 7
    )
    with pytest.raises(StopIteration) as stop:
        while True:
            seen.append(next(gen))
    result = stop.value.value
    assert result.reason == "stopped" and result.steps == 7
    assert result.loss_end == min(s.loss for s in seen)


def test_snapshot_only_when_asked():
    image = random_input((3, 8, 8), seed=1)
    layers = (default_spec("pointwise", out_channels=1),)
    _, target = prepare_target("gray", image, layers)
    steps = list(
        fit_stack(
            layers,
            image,
            target,
            FitOptions(steps=4),
            want_snapshot=iter([False, True, False, False]).__next__,
        )
    )
    assert [s.layers is not None for s in steps] == [False, True, False, False]
    assert steps[1].output.shape == (1, 8, 8)
    assert steps[1].layers[0].weights


def test_frozen_layers_and_biases_keep_their_values():
    image = random_input((3, 12, 12), seed=2)
    layers = (default_spec("standard", out_channels=3), default_spec("pointwise", out_channels=1))
    _, target = prepare_target("gray", image, layers)
    result = run_fit(
        layers, image, target, FitOptions(steps=20, frozen=frozenset({0}), train_bias=False)
    )
    assert result.trained == (1,)
    assert result.layers[0] == layers[0]  # untouched spec, no inline weights
    start = build_stack(layers, 3)
    fitted = build_stack(result.layers, 3)
    assert torch.equal(start[1].conv.bias, fitted[1].conv.bias)
    assert not torch.equal(start[1].conv.weight, fitted[1].conv.weight)


def test_refusals_are_one_line():
    image = random_input((3, 8, 8), seed=0)
    layers = (default_spec("pointwise", out_channels=1),)
    _, target = prepare_target("gray", image, layers)
    with pytest.raises(FitError, match="nothing to train"):
        run_fit(layers, image, target, FitOptions(frozen=frozenset({0})))
    with pytest.raises(FitError, match="wrong channel count"):
        prepare_target("sobel-x", image, layers)
    with pytest.raises(FitError, match="wrong shape"):
        prepare_target("gray", image, (default_spec("pointwise", out_channels=1, stride=2),))
    with pytest.raises(FitError, match="needs an RGB input"):
        prepare_target("gray", random_input((4, 8, 8)), layers)
    with pytest.raises(FitError, match="learning rate"):
        run_fit(layers, image, target, FitOptions(lr=-1))
    with pytest.raises(FitError, match="nothing to train"):
        prepare_target("gray", image, ())


def test_fitted_bias_off_and_batch_norm_layers_round_trip():
    image = random_input((3, 10, 10), seed=4)
    layers = (
        default_spec("separable", out_channels=3, bias=False, batch_norm=True, activation="relu"),
    )
    _, target = prepare_target("sobel-x", image, layers)
    result = run_fit(layers, image, target, FitOptions(steps=30, lr=0.02))
    names = [t for t, _ in result.layers[0].weights]
    assert names == ["depthwise.weight", "pointwise.weight"]
    assert all(isinstance(s, InlineTensor) for _, s in result.layers[0].weights)
    np.testing.assert_allclose(_output(result.layers, image), result.output, atol=1e-5)
    np.testing.assert_allclose(result.residual, result.output - target, atol=1e-6)


def test_float64_and_l1_run():
    image = random_input((3, 8, 8), seed=0)
    layers = (default_spec("pointwise", out_channels=3),)
    _, target = prepare_target("ycbcr", image, layers)
    result = run_fit(layers, image, target, FitOptions(steps=300, lr=0.05, loss="l1", float64=True))
    assert result.loss_end < 0.05 * result.loss_start
