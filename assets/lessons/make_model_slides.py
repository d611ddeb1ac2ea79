"""Write the bundled scenes and lesson slides of the two trained demo models (issue 11).

Run from the repository root: ``python assets/lessons/make_model_slides.py``. The scenes
reference the model files for every imported weight; each slide's "trained next to random"
depthwise layer has multiplier 2 with inline weights: output channel 2c is the model's
trained filter of channel c (the model's BatchNorm folded in here, since the slide's layer
has none), 2c + 1 a seeded random filter of the
same channel (torch's default initialisation after ``torch.manual_seed(seed)``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.importers import import_model, to_scene
from explorer.core.io.inputs import input_shape
from explorer.core.io.scene import save_scene
from explorer.core.model.specs import DepthwiseSpec, InlineTensor

ASSETS = Path(__file__).resolve().parents[1]
MODELS = ASSETS / "models"
NEG1_1 = ((0.5,), (0.5,))


def _interleaved(trained_w: np.ndarray, trained_b: np.ndarray, seed: int) -> tuple:
    c, _, kh, kw = trained_w.shape
    torch.manual_seed(seed)
    random = torch.nn.Conv2d(c, c, (kh, kw), groups=c)
    w = np.empty((2 * c, 1, kh, kw), np.float32)
    b = np.empty(2 * c, np.float32)
    w[0::2], b[0::2] = trained_w, trained_b
    w[1::2] = random.weight.detach().numpy()
    b[1::2] = random.bias.detach().numpy()
    return (
        ("weight", InlineTensor(w.shape, tuple(float(v) for v in w.reshape(-1)))),
        ("bias", InlineTensor(b.shape, tuple(float(v) for v in b))),
    )


def _bn_folded(dw) -> tuple[np.ndarray, np.ndarray]:
    """The imported layer's weight and bias with its kept batch norm folded in."""
    w = dw.weight.astype(np.float64)
    b = np.zeros(w.shape[0]) if dw.bias is None else dw.bias.astype(np.float64)
    if dw.bn is not None:  # the running variance already holds the model's eps − 1e-5
        a = dw.bn["bn.weight"] / np.sqrt(dw.bn["bn.running_var"].astype(np.float64) + 1e-5)
        w = w * a[:, None, None, None]
        b = (b - dw.bn["bn.running_mean"]) * a + dw.bn["bn.bias"]
    return w.astype(np.float32), b.astype(np.float32)


def _slide(scene, prefix: int, dw, title: str, caption: str, name: str) -> None:
    spec = DepthwiseSpec(
        kernel_size=dw.kernel,
        stride=dw.stride,
        padding=(dw.pads[0], dw.pads[2]) if dw.pads[0] == dw.pads[1] else dw.pads,
        multiplier=2,
        activation="none",
        weights=_interleaved(*_bn_folded(dw), seed=11),
    )
    slide = replace(scene, layers=scene.layers[:prefix] + (spec,), title=title)
    cost = stack_cost(input_shape(slide.input), slide.layers)
    text = caption.format(params=f"{cost.layers[-1].params:,}", macs=f"{cost.layers[-1].macs:,}")
    save_scene(replace(slide, caption=text), ASSETS / "lessons" / name)


def main() -> None:
    ocr = import_model(MODELS / "ch_ppocr_mobile_v2.0_cls_infer.onnx", (3, 48, 192))
    scene = to_scene(
        ocr,
        image="sample:coffee",
        normalize=NEG1_1,
        title="PaddleOCR text-direction classifier (MobileNetV3), imported",
        caption="The first 19 layers of a trained MobileNetV3: hardswish stem, "
        "squeeze-excitation blocks, depthwise strides of (2, 1), each convolution's "
        "BatchNorm kept as in the model; every weight is read from "
        "../models/ch_ppocr_mobile_v2.0_cls_infer.onnx.",
    )
    save_scene(scene, ASSETS / "scenes" / "paddleocr_cls.json")
    dw = ocr.layers[2].layers[0]
    _slide(
        scene,
        2,
        dw,
        "A trained depthwise 3×3 next to a random one (PaddleOCR)",
        "Even channels are the trained depthwise filters of PaddleOCR's first block, odd "
        "channels seeded random filters of the same input channel ({params} parameters, "
        "{macs} MACs). The trained filters respond strongly to the cup's rims and edges at "
        "particular orientations; the random ones give faint, low-contrast copies.",
        "12_trained_depthwise_paddleocr.json",
    )
    face = import_model(MODELS / "face_detection_short_range.tflite")
    scene = to_scene(
        face,
        image="sample:astronaut",
        normalize=NEG1_1,
        title="MediaPipe BlazeFace (short range), imported",
        caption="BlazeFace's 5×5 stride-2 stem with TensorFlow's asymmetric 'SAME' "
        "padding and its first 11 separable blocks with skip adds (the skip padded "
        "with zero channels where the block widens, max-pooled where it strides), up "
        "to the first detection heads; the weights are the model's fp16 values from "
        "../models/face_detection_short_range.tflite.",
    )
    save_scene(scene, ASSETS / "scenes" / "blazeface.json")
    dw = face.layers[1].layers[0]
    _slide(
        scene,
        1,
        dw,
        "A trained depthwise 3×3 next to a random one (BlazeFace)",
        "Even channels are BlazeFace's trained depthwise filters, odd channels seeded "
        "random filters of the same input channel ({params} parameters, {macs} MACs). On "
        "the astronaut the trained filters pick out edges of the face, helmet and flag with "
        "strong responses; the random ones give faint, nearly flat maps.",
        "13_trained_depthwise_blazeface.json",
    )


if __name__ == "__main__":
    main()
