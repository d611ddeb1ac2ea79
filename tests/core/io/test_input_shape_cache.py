"""The input's shape is asked on every selection and edit: it opens no file while the image
and the sample folder are unchanged, and follows them when they change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from explorer.core.io import inputs, samples
from explorer.core.io.inputs import clear_cache, input_shape
from explorer.core.io.scene import InputSpec


def _touch(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def test_the_header_is_read_once_until_the_image_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_cache()
    calls: list[object] = []
    real = inputs.image_header
    monkeypatch.setattr(inputs, "image_header", lambda p: calls.append(p) or real(p))
    path = tmp_path / "pic.png"
    Image.new("RGB", (40, 20)).save(path)
    spec = InputSpec(image=str(path), size=20)
    assert input_shape(spec) == input_shape(spec) == (3, 10, 20)
    assert len(calls) == 1
    Image.new("RGB", (20, 40)).save(path)  # another picture in the same file
    _touch(path)
    assert input_shape(spec) == (3, 20, 10)
    assert len(calls) == 2
    path.unlink()
    with pytest.raises(inputs.ImageError, match="pic.png"):
        input_shape(spec)  # a missing file still names itself


def test_the_sample_folder_is_listed_again_only_when_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "samples"
    folder.mkdir()
    Image.new("RGB", (4, 4)).save(folder / "one.png")
    monkeypatch.setattr(samples, "assets_dir", lambda: tmp_path)
    monkeypatch.setattr(samples, "_listing", None)
    listed: list[Path] = []
    real = Path.iterdir
    monkeypatch.setattr(Path, "iterdir", lambda p: listed.append(p) or real(p))
    assert samples.sample_path("one") == folder / "one.png"
    assert samples.sample_path("sample:one") == folder / "one.png"
    assert listed == [folder]
    Image.new("RGB", (4, 4)).save(folder / "two.png")
    _touch(folder)  # a coarse clock must not hide the new file
    assert samples.sample_path("two") == folder / "two.png"
    assert [s.name for s in samples.list_samples()] == ["one", "two"]
    assert len(listed) == 2
