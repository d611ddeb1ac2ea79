"""Slide 17 (a trained PaddleOCR layer distilled into a separable one) and fitting the
kinds issue 10/11 added: blocks with inner layers, imported BatchNorm, PReLU."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.core.analysis.costs import stack_cost
from explorer.core.compute.build import build_stack
from explorer.core.compute.fit import FitOptions, run_fit
from explorer.core.compute.fit_targets import prepare_target
from explorer.core.compute.run import run_stack
from explorer.core.io.inputs import input_shape, random_input, resolve_input
from explorer.core.io.scene import load_scene
from explorer.core.model.blocks import mobilenet_v2_block, mobilenet_v3_block
from explorer.core.model.specs import BlockSpec, ModelTensor, default_spec

LESSONS = Path(__file__).resolve().parents[3] / "assets" / "lessons"
SLIDE = LESSONS / "17_distil_trained.json"
TARGET = LESSONS / "paddleocr_stem_target.json"


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _output(layers, image, seed=0) -> np.ndarray:
    return np.asarray(list(run_stack(layers, image, seed=seed, device="cpu"))[-1].output)


def test_the_distil_slide_states_the_saving_it_has():
    slide, target = load_scene(SLIDE), load_scene(TARGET)
    assert slide.fit is not None and slide.fit.target == f"scene:{TARGET}"
    assert slide.input == target.input
    # the target is PaddleOCR's trained stem: a standard 3×3 conv + BN + hardswish, read
    # from the model file
    (stem,) = target.layers
    assert stem.kind == "standard" and stem.batch_norm and stem.activation == "hardswish"
    sources = dict(stem.weights)
    assert {"weight", "bn.weight", "bn.bias"} <= set(sources)
    assert all(isinstance(s, ModelTensor) for s in sources.values())
    shape = input_shape(slide.input)
    ours, theirs = stack_cost(shape, slide.layers), stack_cost(shape, target.layers)
    assert ours.output_shape == theirs.output_shape
    # what torch counts: every parameter of each module
    torch_params = [
        sum(p.numel() for p in build_stack(s.layers, shape[0]).parameters())
        for s in (slide, target)
    ]
    assert torch_params == [ours.params, theirs.params]
    for n in (ours.params, ours.macs, theirs.params, theirs.macs):
        assert f"{n:,}" in slide.caption
    assert f"{theirs.macs / ours.macs:.1f}× fewer MACs" in slide.caption
    assert f"{theirs.params / ours.params:.1f}× fewer parameters" in slide.caption
    assert f"After {slide.fit.steps} Adam steps" in slide.caption and slide.fit.optimizer == "adam"


def test_the_distil_slide_pays_the_error_its_caption_says():
    slide = load_scene(SLIDE)
    record = slide.fit
    image = resolve_input(slide.input, seed=slide.seed)
    spec, target = prepare_target(record.target, image, slide.layers)
    np.testing.assert_allclose(target, _output(load_scene(TARGET).layers, image), atol=1e-6)
    options = FitOptions(
        steps=record.steps, lr=record.lr, optimizer=record.optimizer, loss=record.loss_function
    )
    result = run_fit(slide.layers, image, target, options, seed=slide.seed)
    assert result.reason == "done" and not slide.layers[0].weights
    quoted = float(re.search(r"relative error of about ([0-9.]+)", slide.caption).group(1))
    assert result.relative_error == pytest.approx(quoted, abs=0.005)
    percent = int(re.search(r"the loss is (\d+)% of the target's variance", slide.caption)[1])
    assert round(100 * result.loss_end / float(target.astype(np.float64).var())) == percent
    # "still falling slowly": the last 100 steps still lowered it, by less than a third
    assert result.losses[-1] < result.losses[-100] < 1.5 * result.losses[-1]
    # the fitted layer, saved and rebuilt, gives that error against the trained layer
    out = _output(result.layers, image, seed=slide.seed)
    rel = float(((out - target).astype(np.float64) ** 2).mean() / target.var())
    assert rel == pytest.approx(result.relative_error, rel=1e-3)


def _weights(spec) -> dict[str, np.ndarray]:
    return {t: np.asarray(s.values).reshape(s.shape) for t, s in spec.weights}


def test_a_mobilenet_v2_block_learns_a_teacher_block_and_saves_its_inner_weights():
    image = random_input((4, 12, 12), seed=2)
    (block,) = mobilenet_v2_block(4, 4, expansion=2)
    assert isinstance(block, BlockSpec) and block.skip
    target = _output((block,), image, seed=7)  # the same block, other random weights
    result = run_fit((block,), image, target, FitOptions(steps=300, lr=0.02), seed=0)
    assert result.reason == "done" and result.trained == (0,)
    assert result.loss_end < 0.1 * result.loss_start  # 0.0133 → 0.00067 measured
    fitted = result.layers[0]
    assert isinstance(fitted, BlockSpec) and not fitted.weights  # no SE: nothing of its own
    # each inner layer holds its own fitted weights, BatchNorm γ and β included
    names = [[t for t, _ in inner.weights] for inner in fitted.layers]
    assert names == [["weight", "bn.weight", "bn.bias"]] * 3
    # they are what torch trained: a fresh build from the saved scene gives the output
    np.testing.assert_allclose(_output(result.layers, image), result.output, atol=1e-5)
    start = _output((block,), image, seed=0)
    assert np.abs(result.output - start).max() > 0.1  # the weights really moved


def test_a_block_with_squeeze_excitation_stores_the_se_weights_in_the_block():
    image = random_input((8, 10, 10), seed=3)
    (block,) = mobilenet_v3_block(8, 8, expanded=16, se=True)
    target = _output((block,), image, seed=5)
    result = run_fit((block,), image, target, FitOptions(steps=40, lr=0.01), seed=0)
    fitted = result.layers[0]
    assert [t for t, _ in fitted.weights] == [
        "se.fc1.weight",
        "se.fc1.bias",
        "se.fc2.weight",
        "se.fc2.bias",
    ]
    assert result.loss_end < result.loss_start
    np.testing.assert_allclose(_output(result.layers, image), result.output, atol=1e-5)


def test_imported_batch_norm_keeps_its_running_statistics_and_trains_gamma_beta():
    stem = load_scene(TARGET).layers[0]  # PaddleOCR's weights, read from the model file
    image = random_input((3, 16, 16), seed=1)
    target = _output(
        (default_spec("standard", out_channels=8, stride=2, padding=1),), image, seed=3
    )
    before = {t: np.asarray(v) for t, v in _weights_of_module(stem).items()}
    result = run_fit((stem,), image, target, FitOptions(steps=20, lr=0.01))
    fitted = dict(result.layers[0].weights)
    assert list(fitted)[:5] == [
        "weight",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
    ]
    for name in ("bn.running_mean", "bn.running_var"):  # buffers: kept from the model
        assert isinstance(fitted[name], ModelTensor)
    for name in ("weight", "bn.weight", "bn.bias"):  # trained, stored inline
        assert not np.allclose(
            np.asarray(fitted[name].values).reshape(before[name].shape), before[name]
        )
    np.testing.assert_allclose(_output(result.layers, image), result.output, atol=1e-5)
    # fresh seeded weights for what trains; the model's running statistics still apply
    fresh = run_fit((stem,), image, target, FitOptions(steps=5, lr=0.01, seed=4))
    np.testing.assert_allclose(_output(fresh.layers, image), fresh.output, atol=1e-5)


def _weights_of_module(spec) -> dict[str, np.ndarray]:
    module = build_stack((spec,), 3)[0]
    return {
        "weight": module.conv.weight.detach().numpy().copy(),
        "bn.weight": module.bn.weight.detach().numpy().copy(),
        "bn.bias": module.bn.bias.detach().numpy().copy(),
    }


def test_prelu_slopes_are_not_trained_and_the_fit_round_trips():
    image = random_input((3, 10, 10), seed=6)
    layers = (
        default_spec("standard", out_channels=4),
        default_spec("activation", activation="prelu"),
    )
    target = _output((default_spec("standard", out_channels=4),), image, seed=9)
    result = run_fit(layers, image, target, FitOptions(steps=60, lr=0.02))
    assert result.trained == (0,) and result.layers[1] == layers[1]
    assert result.loss_end < result.loss_start
    np.testing.assert_allclose(_output(result.layers, image), result.output, atol=1e-5)
