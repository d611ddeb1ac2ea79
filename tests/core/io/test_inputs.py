"""The input of the stack: images by path or sample name, or a seeded random tensor."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.core.errors import ImageError, SceneError
from explorer.core.io import inputs
from explorer.core.io.images import load_image
from explorer.core.io.inputs import clear_cache, image_path, input_shape, resolve_input
from explorer.core.io.samples import DEFAULT_SAMPLE, list_samples, sample_path
from explorer.core.io.scene import InputSpec


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_cache()


def test_random_tensor_is_seeded() -> None:
    spec = InputSpec(shape=(64, 32, 32))
    a = resolve_input(spec, seed=3)
    assert a.shape == (64, 32, 32) and a.dtype == np.float32
    np.testing.assert_array_equal(a, resolve_input(spec, seed=3))
    assert not np.array_equal(a, resolve_input(spec, seed=4))
    assert abs(float(a.mean())) < 0.05 and 0.9 < float(a.std()) < 1.1  # standard normal
    assert input_shape(spec) == (64, 32, 32)


def test_shape_wins_over_image() -> None:
    spec = InputSpec(image="sample:coffee", shape=(2, 5, 7))
    assert resolve_input(spec).shape == (2, 5, 7)
    assert input_shape(spec) == (2, 5, 7)


@pytest.mark.parametrize("shape", [(0, 4, 4), (3, 4), (3, 4, 4.0), (1, 1, 10**6)])
def test_bad_shape(shape: tuple[int, ...]) -> None:
    spec = InputSpec(shape=shape)  # type: ignore[arg-type]
    with pytest.raises(SceneError, match="input shape must be"):
        resolve_input(spec)
    with pytest.raises(SceneError, match="input shape must be"):
        input_shape(spec)


def test_default_and_named_samples() -> None:
    assert image_path(InputSpec()) == sample_path(DEFAULT_SAMPLE)
    default = resolve_input(InputSpec())
    np.testing.assert_array_equal(default, load_image(sample_path(DEFAULT_SAMPLE)))
    coffee = resolve_input(InputSpec(image="sample:coffee", size=100, mode="grayscale"))
    np.testing.assert_array_equal(
        coffee, load_image(sample_path("coffee"), size=100, mode="grayscale")
    )
    with pytest.raises(ImageError, match="no such sample"):
        resolve_input(InputSpec(image="sample:nothing"))


@pytest.mark.parametrize("size", [1, 17, 100, 256, 1000])
@pytest.mark.parametrize("mode", ["rgb", "grayscale"])
def test_input_shape_matches_resolved_shape_for_every_sample(size: int, mode: str) -> None:
    for sample in list_samples():
        spec = InputSpec(image=f"sample:{sample.name}", size=size, mode=mode)
        assert input_shape(spec) == resolve_input(spec).shape


def test_image_path_input(tmp_path: Path) -> None:
    path = tmp_path / "pic.png"
    Image.new("RGB", (50, 20), (255, 0, 0)).save(path)
    spec = InputSpec(image=str(path), size=25)
    out = resolve_input(spec)
    assert out.shape == input_shape(spec) == (3, 10, 25)
    np.testing.assert_allclose(out[:, 0, 0], [1, 0, 0])
    with pytest.raises(ImageError, match="missing.png: no such file"):
        input_shape(InputSpec(image=str(tmp_path / "missing.png")))
    with pytest.raises(ImageError, match="missing.png: no such file"):
        resolve_input(InputSpec(image=str(tmp_path / "missing.png")))


def test_decoded_images_are_cached_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = inputs.load_image

    def counting(*args: object, **kwargs: object) -> np.ndarray:
        calls.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inputs, "load_image", counting)
    path = tmp_path / "pic.png"
    Image.new("RGB", (8, 8), (0, 0, 255)).save(path)
    spec = InputSpec(image=str(path))
    first = resolve_input(spec)
    first[:] = 0  # a caller changing its copy must not change the cache
    second = resolve_input(spec)
    assert len(calls) == 1
    np.testing.assert_allclose(second[:, 0, 0], [0, 0, 1])
    resolve_input(InputSpec(image=str(path), mode="grayscale"))
    assert len(calls) == 2  # another mode is another entry

    Image.new("RGB", (8, 8), (0, 255, 0)).save(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    np.testing.assert_allclose(resolve_input(spec)[:, 0, 0], [0, 1, 0])
    assert len(calls) == 3


def test_cache_is_bounded(tmp_path: Path) -> None:
    for i in range(inputs._CACHE_SIZE + 5):
        path = tmp_path / f"pic{i}.png"
        Image.new("RGB", (2, 2), (i, 0, 0)).save(path)
        resolve_input(InputSpec(image=str(path)))
    assert len(inputs._cache) == inputs._CACHE_SIZE
