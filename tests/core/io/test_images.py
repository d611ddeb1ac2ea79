"""Decoding every image a user may load, and refusing the ones that cannot be loaded."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from explorer.core.errors import ImageError
from explorer.core.io import images
from explorer.core.io.images import MAX_PIXELS, image_header, load_image, scaled_size


def gradient(width: int = 40, height: int = 30) -> np.ndarray:
    """An RGB test picture with distinct values in each channel, uint8 (H, W, 3)."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256], axis=2
    )
    return rgb.astype(np.uint8)


def opened(path: Path) -> Image.Image:
    """The image at ``path`` as displayed (EXIF orientation applied), its file closed."""
    with Image.open(path) as image:
        return ImageOps.exif_transpose(image)


def chw(rgb: np.ndarray) -> np.ndarray:
    return rgb.transpose(2, 0, 1).astype(np.float32) / 255.0


@pytest.mark.parametrize(
    ("fmt", "suffix", "tolerance"),
    [
        ("PNG", ".png", 0.0),
        ("BMP", ".bmp", 0.0),
        ("TIFF", ".tif", 0.0),
        ("WEBP", ".webp", 0.0),  # lossless below
        ("JPEG", ".jpg", 0.08),
        ("GIF", ".gif", 0.1),  # palette quantisation
    ],
)
def test_each_format_decodes_to_chw_float(
    tmp_path: Path, fmt: str, suffix: str, tolerance: float
) -> None:
    rgb = gradient()
    path = tmp_path / f"pic{suffix}"
    options = {"lossless": True} if fmt == "WEBP" else {"quality": 95} if fmt == "JPEG" else {}
    Image.fromarray(rgb).save(path, fmt, **options)
    out = load_image(path)
    assert out.shape == (3, 30, 40)
    assert out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert np.abs(out - chw(rgb)).mean() <= tolerance + 1e-6
    assert np.abs(out - chw(rgb)).max() <= max(tolerance * 4, 1e-6)


def test_grayscale_image_gives_three_equal_channels_or_one(tmp_path: Path) -> None:
    gray = gradient()[:, :, 0]
    path = tmp_path / "gray.png"
    Image.fromarray(gray, "L").save(path)
    rgb = load_image(path)
    assert rgb.shape == (3, 30, 40)
    np.testing.assert_array_equal(rgb[0], rgb[1])
    np.testing.assert_array_equal(rgb[0], gray / np.float32(255))
    one = load_image(path, mode="grayscale")
    assert one.shape == (1, 30, 40)
    np.testing.assert_array_equal(one[0], rgb[0])


def test_rgb_to_grayscale_uses_luma(tmp_path: Path) -> None:
    rgb = gradient()
    path = tmp_path / "rgb.png"
    Image.fromarray(rgb).save(path)
    out = load_image(path, mode="grayscale")[0]
    expected = chw(rgb).transpose(1, 2, 0) @ np.array([0.299, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_rgba_is_composited_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 0] = 200  # red 200, green and blue 0
    rgba[:, 0, 3] = 0  # transparent column → white
    rgba[:, 1, 3] = 255  # opaque column → the colour
    rgba[:, 2, 3] = 102  # 40 % opaque → a mix
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)
    out = load_image(path)
    np.testing.assert_allclose(out[:, :, 0], 1.0)
    np.testing.assert_allclose(out[:, 0, 1], [200 / 255, 0, 0], atol=1e-6)
    np.testing.assert_allclose(out[:, 0, 2], [0.4 * 200 / 255 + 0.6, 0.6, 0.6], atol=1e-6)


def test_la_is_composited_on_white(tmp_path: Path) -> None:
    la = np.array([[[0, 0], [0, 255]]], np.uint8)  # black transparent, black opaque
    path = tmp_path / "la.png"
    Image.fromarray(la, "LA").save(path)
    out = load_image(path, mode="grayscale")
    np.testing.assert_allclose(out[0, 0], [1.0, 0.0])


def test_palette_with_transparency(tmp_path: Path) -> None:
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6))
    image.putpixel((0, 0), 0)
    image.putpixel((1, 0), 1)
    path = tmp_path / "palette.png"
    image.save(path, transparency=0)  # red is transparent
    out = load_image(path)
    np.testing.assert_allclose(out[:, 0, 0], [1, 1, 1])
    np.testing.assert_allclose(out[:, 0, 1], [0, 0, 1])


def test_palette_without_transparency_and_bilevel(tmp_path: Path) -> None:
    Image.fromarray(gradient()).convert("P").save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").shape == (3, 30, 40)
    bits = Image.new("1", (3, 1))
    bits.putpixel((1, 0), 1)
    bits.save(tmp_path / "bits.png")
    np.testing.assert_array_equal(
        load_image(tmp_path / "bits.png", mode="grayscale")[0, 0], [0, 1, 0]
    )


def test_16_bit_keeps_its_full_range(tmp_path: Path) -> None:
    values = np.array([[0, 1000, 32768, 65535]], np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    out = load_image(path, mode="grayscale")
    np.testing.assert_allclose(out[0, 0], values[0] / 65535.0, atol=1e-6)


def test_cmyk_jpeg(tmp_path: Path) -> None:
    rgb = gradient()
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(rgb).convert("CMYK").save(path, quality=95)
    assert opened(path).mode == "CMYK"
    out = load_image(path)
    expected = chw(np.asarray(opened(path).convert("RGB")))
    assert out.shape == (3, 30, 40)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_float_tiff_in_unit_range_is_kept_and_others_are_stretched(tmp_path: Path) -> None:
    unit = np.array([[0.0, 0.25, 1.0]], np.float32)
    Image.fromarray(unit, "F").save(tmp_path / "unit.tif")
    np.testing.assert_allclose(load_image(tmp_path / "unit.tif", mode="grayscale")[0], unit)
    wide = np.array([[-10.0, 0.0, 30.0]], np.float32)
    Image.fromarray(wide, "F").save(tmp_path / "wide.tif")
    np.testing.assert_allclose(
        load_image(tmp_path / "wide.tif", mode="grayscale")[0, 0], [0, 0.25, 1]
    )


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    rgb = gradient(60, 20)
    image = Image.fromarray(rgb)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = tmp_path / "rotated.jpg"
    image.save(path, quality=95, exif=exif)
    expected = chw(np.asarray(opened(path).convert("RGB")))
    assert expected.shape == (3, 60, 20)
    out = load_image(path)
    assert out.shape == (3, 60, 20)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert image_header(path) == (20, 60)
    small = load_image(path, size=30)
    assert small.shape == (3, 30, 10)
    assert np.abs(small.mean(axis=(1, 2)) - expected.mean(axis=(1, 2))).max() < 0.03


@pytest.mark.parametrize("fmt", ["GIF", "TIFF"])
def test_first_frame_of_animation_or_multipage(tmp_path: Path, fmt: str) -> None:
    frames = [
        Image.new("RGB", (8, 6), colour) for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0))
    ]
    path = tmp_path / f"many.{fmt.lower()}"
    frames[0].save(path, fmt, save_all=True, append_images=frames[1:])
    with Image.open(path) as check:
        assert getattr(check, "n_frames", 1) == 3
    out = load_image(path)
    np.testing.assert_allclose(out[:, 0, 0], [1, 0, 0])


@pytest.mark.parametrize(
    ("width", "height", "size", "expected"),
    [
        (1, 1, 256, (1, 1)),
        (10, 10, 256, (10, 10)),  # never upscaled
        (400, 300, 100, (100, 75)),
        (1, 5000, 256, (1, 256)),  # at least one pixel
        (5000, 1, 256, (256, 1)),
        (257, 256, 256, (256, 255)),
    ],
)
def test_size_rules(
    tmp_path: Path, width: int, height: int, size: int, expected: tuple[int, int]
) -> None:
    assert scaled_size(width, height, size) == expected
    path = tmp_path / "pic.png"
    Image.new("RGB", (width, height), (10, 200, 30)).save(path)
    out = load_image(path, size=size)
    assert out.shape == (3, expected[1], expected[0])
    np.testing.assert_allclose(out[:, 0, 0], np.array([10, 200, 30]) / 255, atol=2e-2)


@settings(max_examples=40, deadline=None)
@given(
    width=st.integers(1, 300),
    height=st.integers(1, 300),
    size=st.integers(1, 400),
    orientation=st.sampled_from([1, 3, 6, 8]),
)
def test_shape_from_header_matches_decoded_shape(
    width: int, height: int, size: int, orientation: int
) -> None:
    image = Image.new("RGB", (width, height), (1, 2, 3))
    exif = image.getexif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue()
    shown_w, shown_h = image_header(data)
    assert {shown_w, shown_h} == {width, height}
    new_w, new_h = scaled_size(shown_w, shown_h, size)
    assert max(new_w, new_h) <= size and min(new_w, new_h) >= 1
    assert load_image(data, size=size).shape == (3, new_h, new_w)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` pixels but that holds almost nothing."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("claimed", [(40_000, 40_000), (10_000, 8_001)])
def test_huge_image_is_refused_from_its_header_without_allocating(
    tmp_path: Path, claimed: tuple[int, int]
) -> None:
    assert claimed[0] * claimed[1] > MAX_PIXELS
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming(*claimed))
    tracemalloc.start()
    try:
        with pytest.raises(ImageError, match=r"bomb\.png: refused") as info:
            load_image(path)
        with pytest.raises(ImageError, match="refused"):
            image_header(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    assert "\n" not in str(info.value)


def test_large_jpeg_is_drafted_and_matches_a_full_decode(tmp_path: Path) -> None:
    big = Image.fromarray(gradient(2400, 1600)).resize((2400, 1600))
    path = tmp_path / "big.jpg"
    big.save(path, quality=90)
    out = load_image(path, size=200)
    assert out.shape == (3, 133, 200)
    full = chw(np.asarray(opened(path).resize((200, 133), Image.Resampling.LANCZOS)))
    assert np.abs(out - full).mean() < 0.02


def test_bytes_input_equals_file_input(tmp_path: Path) -> None:
    path = tmp_path / "pic.png"
    Image.fromarray(gradient()).save(path)
    np.testing.assert_array_equal(load_image(path.read_bytes()), load_image(path))
    with pytest.raises(ImageError, match="pasted image: empty"):
        load_image(b"")
    with pytest.raises(ImageError, match="pasted image: not an image"):
        load_image(b"hello, world")


def _expect(path: Path, pattern: str, **kwargs: object) -> None:
    with pytest.raises(ImageError) as info:
        load_image(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(str(path) + ": "), message
    assert "\n" not in message
    assert pattern in message, message


def test_file_problems_name_the_file(tmp_path: Path) -> None:
    _expect(tmp_path / "missing.png", "no such file")
    _expect(tmp_path, "is a folder")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    _expect(empty, "empty file")
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture\n")
    _expect(text, "not an image")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(tmp_path: Path, fmt: str) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        buffer, fmt
    )
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    _expect(path, "truncated")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.png"
    Image.new("RGB", (2, 2)).save(path)

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # Patched in the module, because chmod does not stop root (tests may run as root).
    monkeypatch.setattr(images, "open", denied, raising=False)
    _expect(path, "permission denied")


def test_unsupported_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lab.tif"
    Image.new("LAB", (2, 2)).save(path)
    real_convert = Image.Image.convert

    def convert(
        self: Image.Image, mode: str | None = None, *args: object, **kwargs: object
    ) -> Image.Image:
        if self.mode == "LAB":
            raise ValueError("conversion from LAB to RGB not supported")
        return real_convert(self, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Image.Image, "convert", convert)
    _expect(path, "unsupported image mode 'LAB'")


def test_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "pic.png"
    Image.new("RGB", (2, 2)).save(path)
    _expect(path, "size must be", size=0)
    _expect(path, "size must be", size=True)
    _expect(path, "mode must be", mode="cmyk")
