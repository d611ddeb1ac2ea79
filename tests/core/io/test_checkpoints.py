"""Checkpoints: what is accepted, what is refused (and that unsafe pickles never run)."""

from __future__ import annotations

import os
import pickle
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.core.errors import CheckpointError
from explorer.core.io import checkpoints
from explorer.core.io.checkpoints import load_state_dict, tensors_fitting


@pytest.fixture(autouse=True)
def _fresh_cache():
    checkpoints.clear_cache()
    yield
    checkpoints.clear_cache()


class _MakesMarker:
    """Unpickling this with plain pickle would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _MakesMarkerPy:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_plain_state_dict(tmp_path):
    path = tmp_path / "model.pt"
    state = OrderedDict(w=torch.randn(4, 3, 1, 1), b=torch.randn(4))
    torch.save(state, path)
    loaded = load_state_dict(path)
    assert list(loaded) == ["w", "b"]
    torch.testing.assert_close(loaded["w"], state["w"])
    assert all(t.dtype == torch.float32 for t in loaded.values())


@pytest.mark.parametrize("wrapper", ["state_dict", "model"])
def test_training_checkpoint_wrappers(tmp_path, wrapper):
    path = tmp_path / "ckpt.pth"
    torch.save({"epoch": 3, wrapper: {"conv.weight": torch.ones(2, 2, 3, 3)}}, path)
    assert list(load_state_dict(path)) == ["conv.weight"]


def test_bare_tensor_and_conversions(tmp_path):
    path = tmp_path / "t.pt"
    torch.save(torch.arange(6, dtype=torch.int64).reshape(2, 3), path)
    loaded = load_state_dict(str(path))
    assert list(loaded) == ["tensor"]
    assert loaded["tensor"].dtype == torch.float32
    np.testing.assert_array_equal(loaded["tensor"].numpy(), np.arange(6).reshape(2, 3))
    half = tmp_path / "h.pt"
    torch.save({"x": torch.ones(2, dtype=torch.float16), "flag": torch.tensor([True])}, half)
    assert list(load_state_dict(half)) == ["x"]  # the bool tensor is left out


def test_real_module_state_dict(tmp_path):
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8))
    path = tmp_path / "m.pt"
    torch.save(module.state_dict(), path)
    loaded = load_state_dict(path)
    assert tensors_fitting(loaded, (8, 3, 3, 3)) == ["0.weight"]
    assert tensors_fitting(loaded, (8,)) == [
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
    ]
    assert tensors_fitting(loaded, (3, 8, 3, 3)) == []


def _refused(path, *needles: str) -> str:
    with pytest.raises(CheckpointError) as info:
        load_state_dict(path)
    text = str(info.value)
    assert str(path) in text and "\n" not in text
    for needle in needles:
        assert needle in text
    return text


def test_missing_file_and_directory(tmp_path):
    _refused(tmp_path / "nope.pt", "no such file")
    _refused(tmp_path, "is a directory")


def test_empty_and_random_bytes(tmp_path):
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    _refused(empty, "empty")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(np.random.default_rng(0).bytes(500))
    _refused(junk, "not a PyTorch checkpoint")
    text = tmp_path / "text.pt"
    text.write_text("hello, I am not a checkpoint\n")
    _refused(text, "not a PyTorch checkpoint")


@pytest.mark.skipif(sys.platform == "win32", reason="chmod does not remove read access")
def test_unreadable(tmp_path):
    path = tmp_path / "locked.pt"
    torch.save({"w": torch.ones(1)}, path)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read anything")
        _refused(path, "permission denied")
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("maker", [_MakesMarker, _MakesMarkerPy])
def test_pickle_that_runs_code_is_never_executed(tmp_path, protocol, maker):
    marker = tmp_path / "MARKER"
    payload = tmp_path / "evil.pt"
    payload.write_bytes(pickle.dumps({"w": maker(marker)}, protocol=protocol))
    _refused(payload)
    assert not marker.exists()
    # the same object through torch.save (zip format) is refused as unsafe
    zipped = tmp_path / "evil_zip.pt"
    torch.save({"w": maker(marker), "b": torch.ones(1)}, zipped)
    _refused(zipped, "refused", "never run")
    assert not marker.exists()


def test_non_tensor_contents(tmp_path):
    path = tmp_path / "numbers.pt"
    torch.save({"lr": 0.1, "epoch": 3}, path)
    _refused(path, "no non-empty tensors")
    path2 = tmp_path / "list.pt"
    torch.save([torch.ones(2)], path2)
    _refused(path2, "holds a list")
    path3 = tmp_path / "empty_dict.pt"
    torch.save({}, path3)
    _refused(path3, "no non-empty tensors")
    path4 = tmp_path / "zero.pt"
    torch.save({"w": torch.ones(0, 3)}, path4)
    _refused(path4, "no non-empty tensors")


@pytest.mark.parametrize("dtype", [torch.bool, torch.complex64])
def test_unconvertible_dtypes(tmp_path, dtype):
    path = tmp_path / "odd.pt"
    torch.save({"w": torch.ones(2, 2, dtype=dtype)}, path)
    _refused(path, str(dtype).removeprefix("torch."), "cannot be weights")


def test_cache_follows_the_file(tmp_path):
    path = tmp_path / "c.pt"
    torch.save({"w": torch.zeros(3)}, path)
    first = load_state_dict(path)
    again = load_state_dict(path)
    assert again is not first and again["w"] is first["w"]  # cached tensors, new dict
    again.pop("w")
    assert "w" in load_state_dict(path)  # callers cannot damage the cache
    torch.save({"w": torch.ones(4)}, path)
    os.utime(path, ns=(1, 1))  # a new mtime even on coarse file systems
    assert load_state_dict(path)["w"].shape == (4,)
