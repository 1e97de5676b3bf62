"""Zero-shot tumour segmentation: decompose a scan into normal and tumour layers.

For each input (any orientation, spacing, size; NIfTI, NRRD, MHA or a DICOM folder):

1. the model's preset pipeline (:mod:`medssl.zeroshot.presets`) reorients, crops,
   normalises and resamples it to the network grid, recording every step;
2. a sliding-window pass of the network gives the normal layer, the tumour layer and
   the mask probability ``sigmoid(logit)``;
3. each output is mapped back through the recorded inverse (linear interpolation),
   the probability is thresholded, and for a brain model the mask is kept inside the
   brain;
4. the mask is written in the input's exact grid (shape and affine) as
   ``OUT/<input file name>`` (DICOM folders give ``<folder>.nii.gz``).

:func:`segment_files` also runs the label-free threshold baseline instead of the
network (``baseline="zscore"``), writes the layers and the figure panel on request.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medssl.errors import MedsslError
from medssl.io import Image, image_stem, output_name
from medssl.zeroshot.model_file import LDModel
from medssl.zeroshot.presets import LDPreset, pipeline_of
from medssl.zeroshot.threshold import foreground, has_background, zscore_threshold

BASELINES = ("zscore",)
_WRITABLE = {".mhd": ".mha", ".nhdr": ".nrrd"}


@dataclass
class Decomposition:
    """The layers of one scan, in its own grid and in the network grid.

    Shape:
        ``mask`` (uint8), ``probability``, ``normal``, ``tumour``: the input's (X, Y, Z).
        ``net``: arrays of the preprocessed (RAS, network-spacing) grid, for figures.
    """

    mask: np.ndarray
    probability: np.ndarray
    normal: np.ndarray
    tumour: np.ndarray
    net: dict[str, np.ndarray]
    spacing: tuple[float, float, float]


def check_input(image: Image, *, modality: str = "FLAIR") -> list[str]:
    """Reject an empty image; return warnings when it does not look like ``modality``.

    Raises:
        MedsslError: If the image has no nonzero voxel.
    """
    array, source = image.array, image.geometry.source
    if not np.any(array):
        raise MedsslError(f"image has no nonzero voxels (all zero), nothing to segment: {source}")
    notes = []
    low = float(np.min(array))
    if modality == "FLAIR":
        if low < -500:
            notes.append(
                f"{source} does not look like a FLAIR: values go down to {low:.0f}, a "
                "Hounsfield-like (CT) range"
            )
        if not has_background(array):
            notes.append(
                f"{source} does not look like a skull-stripped FLAIR: it has no zero "
                "(or constant) background"
            )
    elif modality == "CT" and low > -200:
        notes.append(f"{source} does not look like a CT in HU: its minimum is {low:.4g}")
    return notes


def _window(shape: Sequence[int], window: Sequence[int], divisor: int) -> tuple[int, int, int]:
    """The sliding window: the preset's, shrunk to the volume, in multiples of ``divisor``
    (the network's ``size_divisor``)."""
    up = [-(-int(s) // divisor) * divisor for s in shape]
    down = [max(divisor, int(w) // divisor * divisor) for w in window]
    return tuple(min(d, u) for u, d in zip(up, down))  # type: ignore[return-value]


def decompose(
    image: Image,
    ld: LDModel,
    *,
    label: Image | None = None,
    overlap: float = 0.5,
    mirror: bool = False,
    precision: str = "bf16",
    layers: bool = True,
) -> tuple[Decomposition, float]:
    """Run the network on one scan and map its layers back to the scan's grid.

    Args:
        image: The scan.
        ld: The loaded model (:func:`medssl.zeroshot.model_file.load_ld_model`).
        label: Optional ground truth on the scan's grid, only carried to ``net`` (for
            figures); never used by the prediction.
        overlap: Sliding-window overlap.
        mirror: Average over the 8 axis flips (slower, smoother).
        precision: ``"bf16"`` or ``"fp32"``.
        layers: Also map the normal and tumour layers back to the input grid (else
            they are left as empty arrays, which saves time).

    Returns:
        The decomposition (mask thresholded at 0.5; see :func:`threshold_mask`) and
        the seconds spent in the network.
    """
    import time

    import torch

    from medssl.inference.sliding import sliding_window_predict
    from medssl.preprocess import Pipeline

    preset: LDPreset = ld.preset
    pipeline = pipeline_of(preset.infer_steps)
    sample = pipeline.apply(image, label=label)
    volume = torch.from_numpy(np.ascontiguousarray(sample.image))[None, None]
    start = time.perf_counter()
    out = sliding_window_predict(
        ld.model,
        volume,
        roi_size=_window(sample.image.shape, preset.window, ld.model.size_divisor),
        overlap=overlap,
        mirror_axes=(0, 1, 2) if mirror else (),
        precision=precision,
    )[0].numpy()
    seconds = time.perf_counter() - start
    prob = (1.0 / (1.0 + np.exp(-out[2].astype(np.float64)))).astype(np.float32)
    if preset.mask_inside_foreground and sample.roi is not None:
        prob = np.where(np.asarray(sample.roi) > 0, prob, np.float32(0))
    stacked = np.stack([out[0], out[1], prob]) if layers else prob[None]
    back = Pipeline.invert(stacked, sample.record, is_label=False)
    probability = back[-1].astype(np.float32)
    empty = np.zeros((0,), dtype=np.float32)
    if preset.mask_inside_foreground:
        probability = np.where(foreground(image.array), probability, np.float32(0))
    net = {"image": sample.image, "normal": out[0], "tumour": out[1], "probability": prob}
    if sample.label is not None:
        net["label"] = np.asarray(sample.label)
    result = Decomposition(
        mask=(probability >= 0.5).astype(np.uint8), probability=probability,
        normal=back[0].astype(np.float32) if layers else empty,
        tumour=back[1].astype(np.float32) if layers else empty, net=net,
        spacing=tuple(sample.spacing),
    )  # fmt: skip
    return result, seconds


def threshold_mask(decomposition: Decomposition, threshold: float) -> np.ndarray:
    """The mask at another probability threshold, in the input grid (uint8)."""
    return (decomposition.probability >= threshold).astype(np.uint8)


def output_path(path: str | Path, out_dir: Path) -> Path:
    """``out_dir / output_name(path)``, with .mhd/.nhdr written as .mha/.nrrd."""
    name = output_name(path)
    for old, new in _WRITABLE.items():
        if name.lower().endswith(old):
            name = name[: -len(old)] + new
    return out_dir / name


def segment_files(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    model: str | Path | None = None,
    threshold: float = 0.5,
    save_layers: bool = False,
    baseline: str | None = None,
    z: float = 2.0,
    min_voxels: int = 100,
    panel: bool = False,
    label: str | Path | None = None,
    mirror: bool = False,
    progress: bool = True,
    warn: Callable[[str], None] | None = None,
) -> list[Path]:
    """Segment scans and write one mask per input in its exact grid.

    Args:
        paths: Image files or DICOM folders.
        out_dir: Output folder (created; must not be a file).
        model: Weights file or shipped name; default the brain FLAIR model. Unused
            with ``baseline``.
        threshold: Mask probability threshold, in (0, 1).
        save_layers: Also write ``<stem>_normal.nii.gz`` and ``<stem>_tumour.nii.gz``.
        baseline: ``"zscore"``: the label-free FLAIR threshold instead of the network.
        z: Threshold of the baseline, in brain standard deviations.
        min_voxels: Smallest component the baseline keeps.
        panel: Write ``<stem>_panel.png`` (needs matplotlib; network only).
        label: Ground truth shown in the panel (one input only); never used otherwise.
        mirror: Test-time mirroring.
        progress: Show a progress bar with ETA over the inputs.
        warn: Receives warning lines; default :func:`warnings.warn`.

    Returns:
        The mask files written, in input order.

    Raises:
        MedsslError: Bad options, an output folder that is a file, two inputs with the
            same output name, missing/unreadable inputs, an all-zero image, or a bad
            or missing model file.
    """
    from medssl.io import ensure_writable_dir, read_image, read_label, write_image
    from medssl.progress import track

    warn = warn or (lambda text: warnings.warn(text, stacklevel=3))
    if not 0.0 < float(threshold) < 1.0:
        raise MedsslError(f"threshold must be in (0, 1); got {threshold}")
    if baseline is not None and baseline not in BASELINES:
        raise MedsslError(f"unknown baseline '{baseline}'; valid: {', '.join(BASELINES)}")
    if baseline is not None and (save_layers or panel):
        raise MedsslError(
            f"layers and panels come from the network; --baseline {baseline} gives a mask only "
            "(drop --save-layers/--panel)"
        )
    if not paths:
        raise MedsslError("no input images given")
    if label is not None and len(paths) != 1:
        raise MedsslError(f"a ground-truth label needs exactly one input image; got {len(paths)}")
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise MedsslError(f"input image not found: {missing[0]} ({len(missing)} missing in all)")
    out = ensure_writable_dir(out_dir)
    targets = [output_path(p, out) for p in paths]
    seen: dict[Path, str] = {}
    for path, target in zip(paths, targets):
        if target in seen:
            raise MedsslError(
                f"inputs {seen[target]} and {path} would both write {target}; "
                "segment them into different --out folders"
            )
        seen[target] = str(path)
    ld = None
    if baseline is None:
        from medssl.zeroshot.model_file import load_ld_model

        ld = load_ld_model(model)
    items = zip(paths, targets)
    iterator = track(list(items), "segment") if progress else items
    written = []
    for path, target in iterator:
        image = read_image(path)
        for note in check_input(image, modality=ld.preset.modality if ld else "FLAIR"):
            warn(note)
        stem = image_stem(Path(str(path).rstrip("/")))
        if ld is None:
            mask = zscore_threshold(
                image.array, z=z, min_voxels=min_voxels, source=image.geometry.source
            ).astype(np.uint8)
            written.append(write_image(mask, image.geometry, target))
            continue
        truth = None if label is None else read_label(label)
        result, _ = decompose(image, ld, label=truth, mirror=mirror, layers=save_layers)
        written.append(write_image(threshold_mask(result, threshold), image.geometry, target))
        if save_layers:
            write_image(result.normal, image.geometry, out / f"{stem}_normal.nii.gz")
            write_image(result.tumour, image.geometry, out / f"{stem}_tumour.nii.gz")
        if panel:
            from medssl.zeroshot.panel import save_panel

            net = result.net
            save_panel(
                out / f"{stem}_panel.png", image=net["image"], normal=net["normal"],
                tumour=net["tumour"], mask=net["probability"] >= threshold,
                truth=None if "label" not in net else net["label"] > 0,
                spacing=result.spacing, title=stem,
            )  # fmt: skip
    return written
