"""``predict(images, model)``: segment scans with a fine-tuned network, in their own grids.

:class:`SegmentationPredictor` plugs a fine-tuned network into the inference loop
(:mod:`medssl.inference.loop`): each image is preprocessed with the pipeline stored in
the weights file, predicted with a sliding window (optionally mirrored), turned into
label values and mapped back through the recorded inverse, so the mask has the input's
exact shape and affine. Everything comes from the weights file alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.inference.predictor import NetOutput, Predictor


def load_segmenter(path: str | Path):
    """Network, weights-file extra info and label groups of a fine-tuned model.

    Raises:
        MedsslError: Missing/corrupt file, or a file that is not a segmentation model.
    """
    import torch

    from medssl.models import load_model, load_weights
    from medssl.segmentation.classes import parse_classes

    weights = load_weights(path)
    extra = weights.extra or {}
    if weights.part != "model":
        raise MedsslError(
            f"{path} holds only an encoder; predict needs a whole fine-tuned model (RUN/model.pt)"
        )
    if extra.get("task") != "segmentation":
        method = extra.get("method", weights.arch)
        raise MedsslError(
            f"{path} holds weights of method '{method}', not a fine-tuned segmentation model; "
            "make one with 'medssl finetune'"
        )
    model = load_model(path).eval()
    if torch.device("cpu") == next(model.parameters()).device:
        model = model.to(memory_format=torch.channels_last_3d)  # fast bf16 kernels on CPU
    return model, extra, parse_classes(extra["labels"])


class SegmentationPredictor(Predictor):
    """A fine-tuned segmentation network (``RUN/model.pt`` of ``medssl finetune``).

    Args:
        path: The weights file.
        overlap: Sliding-window overlap.
        mirror_axes: Spatial axes of test-time mirroring.
        precision: ``"auto"``, ``"bf16"`` or ``"fp32"``.
        channel: Channel of 4D inputs; default: the one the model was trained on.

    Raises:
        MedsslError: As :func:`load_segmenter`; a bad overlap, precision or mirror axis.
    """

    name = "segmentation network"

    def __init__(
        self,
        path: str | Path,
        *,
        overlap: float = 0.5,
        mirror_axes: Sequence[int] = (),
        precision: str = "auto",
        channel: int | None = None,
    ) -> None:
        from medssl.inference.sliding import check_options
        from medssl.preprocess import Pipeline

        check_options(overlap=overlap, precision=precision, mirror_axes=mirror_axes)
        self.model, self.extra, self.groups = load_segmenter(path)
        self.overlap, self.mirror_axes, self.precision = overlap, tuple(mirror_axes), precision
        self.channel = self.extra.get("channel") if channel is None else channel
        self.pipeline = Pipeline.from_config(self.extra["preprocess"])

    def to(self, device: str) -> SegmentationPredictor:
        self.model = self.model.to(device)
        self.device = str(device)
        return self

    def predict(self, sample: Any) -> NetOutput:
        import torch

        from medssl.inference.sliding import sliding_window_predict
        from medssl.segmentation.classes import to_label_values

        x = torch.from_numpy(np.ascontiguousarray(sample.image))[None, None].to(self.device)
        logits = sliding_window_predict(
            self.model,
            x,
            roi_size=self.extra["patch"],
            overlap=self.overlap,
            mirror_axes=self.mirror_axes,
            precision=self.precision,
        )
        classes = logits.argmax(1)[0].cpu().numpy()
        return NetOutput(maps={"labels": to_label_values(classes, self.groups)}, labels=("labels",))


def predict(
    images: Sequence[str | Path],
    model_path: str | Path,
    out_dir: str | Path,
    *,
    overlap: float = 0.5,
    mirror_axes: Sequence[int] = (),
    precision: str = "auto",
    threads: int | None = None,
    device: str | None = "auto",
    channel: int | None = None,
    continue_on_error: bool = False,
    progress: bool = True,
    series: str | None = None,
) -> list[Path]:
    """Write one label map per image into ``out_dir`` (names: :mod:`medssl.inference.outputs`).

    ``series`` is the SeriesInstanceUID read from DICOM folders holding several.

    Raises:
        MedsslError: Bad model, unreadable image, an output that would overwrite an
            input, or an unwritable output folder.
        BatchError: With ``continue_on_error``, when some inputs failed.
    """
    import torch

    from medssl.inference.device import resolve_device
    from medssl.inference.loop import run_inference
    from medssl.inference.outputs import plan_outputs

    if threads is not None:
        if threads < 1:
            raise MedsslError(f"--threads must be >= 1; got {threads}")
        torch.set_num_threads(threads)
    if not images:
        raise MedsslError("predict needs at least one image")
    jobs = plan_outputs(images, out_dir)
    if not continue_on_error:
        missing = [str(p) for p in images if not Path(p).exists()]
        if missing:
            raise MedsslError(f"file not found: {missing[0]}")
    dev = resolve_device(device)
    predictor = SegmentationPredictor(
        model_path, overlap=overlap, mirror_axes=mirror_axes, precision=precision, channel=channel
    ).to(dev)
    report = run_inference(
        jobs,
        predictor,
        continue_on_error=continue_on_error,
        progress=progress,
        description="predict",
        series=series,
    )
    return report.written
