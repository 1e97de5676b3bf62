"""``predict(images, model)``: segment scans with a fine-tuned network, in their own grids.

Each image is preprocessed with the pipeline stored in the weights file, predicted with
a sliding window (optionally mirrored), turned into label values and mapped back through
the recorded inverse, so the mask has the input's exact shape and affine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from medssl.errors import MedsslError


def load_segmenter(path: str | Path):
    """Network, weights-file extra info and label groups of a fine-tuned model.

    Raises:
        MedsslError: Missing/corrupt file, or a file that is not a segmentation model.
    """
    import torch

    from medssl.models import create_model, load_weights
    from medssl.models.weights import load_state_strict
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
    model = create_model(weights.arch, **weights.config)
    load_state_strict(model, weights.state_dict, source=str(path))
    model.eval()
    if torch.device("cpu") == next(model.parameters()).device:
        model = model.to(memory_format=torch.channels_last_3d)  # fast bf16 kernels on CPU
    return model, extra, parse_classes(extra["labels"])


def predict_image(
    model, extra, groups, image, *, overlap: float, mirror_axes: Sequence[int], precision: str
) -> np.ndarray:
    """Label map of one :class:`~medssl.io.Image`, in its own grid."""
    import torch

    from medssl.inference.sliding import sliding_window_predict
    from medssl.preprocess import Pipeline
    from medssl.segmentation.classes import to_label_values

    pipeline = Pipeline.from_config(extra["preprocess"])
    sample = pipeline.apply(image)
    x = torch.from_numpy(np.ascontiguousarray(sample.image))[None, None]
    logits = sliding_window_predict(
        model,
        x,
        roi_size=extra["patch"],
        overlap=overlap,
        mirror_axes=mirror_axes,
        precision=precision,
    )
    classes = logits.argmax(1)[0].numpy()
    values = to_label_values(classes, groups)
    return Pipeline.invert(values, sample.record, is_label=True).astype(values.dtype)


def predict_file(
    model,
    extra,
    groups,
    path: str | Path,
    dest: str | Path,
    *,
    overlap: float,
    mirror_axes: Sequence[int],
    precision: str,
) -> np.ndarray:
    """Read ``path``, predict it (:func:`predict_image`), write the mask to ``dest``.

    Returns:
        The label map, in the input's grid (as written).
    """
    from medssl.io import read_image, write_image

    image = read_image(path, channel=extra.get("channel"))
    mask = predict_image(
        model, extra, groups, image, overlap=overlap, mirror_axes=mirror_axes, precision=precision
    )
    write_image(mask, image.geometry, dest)
    return mask


def predict(
    images: Sequence[str | Path],
    model_path: str | Path,
    out_dir: str | Path,
    *,
    overlap: float = 0.5,
    mirror_axes: Sequence[int] = (),
    precision: str = "bf16",
    threads: int | None = None,
) -> list[Path]:
    """Write ``out_dir/<input name>`` for every image (NIfTI for DICOM folders).

    Raises:
        MedsslError: Bad model, unreadable image, or an unwritable output folder.
    """
    import torch

    from medssl.io import ensure_writable_dir, output_name
    from medssl.progress import track

    if threads:
        torch.set_num_threads(threads)
    out_dir = ensure_writable_dir(out_dir)
    if not images:
        raise MedsslError("predict needs at least one image")
    missing = [str(p) for p in images if not Path(p).exists()]
    if missing:
        raise MedsslError(f"file not found: {missing[0]}")
    model, extra, groups = load_segmenter(model_path)
    written = []
    for path in track(list(images), "predict"):
        dest = out_dir / output_name(path)
        predict_file(
            model, extra, groups, path, dest,
            overlap=overlap, mirror_axes=mirror_axes, precision=precision,
        )  # fmt: skip
        written.append(dest)
    return written
