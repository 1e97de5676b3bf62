"""Zero-shot layer decomposition as a predictor of the inference loop.

For each scan (any orientation, spacing, size; NIfTI, NRRD, MHA or a DICOM folder):

1. the model's preset pipeline (:mod:`medssl.methods.ld.presets`) reorients, crops,
   normalises and resamples it to the network grid, recording every step;
2. a sliding-window pass of the network gives the normal layer, the tumour layer and
   the mask probability ``sigmoid(logit)`` (kept inside the brain for a brain model);
3. the loop maps them back through the recorded inverse (linear interpolation);
4. :meth:`LDPredictor.finish` keeps the probability inside the scan's foreground (brain
   model), thresholds it (with a ``grow_threshold``, by hysteresis: the connected
   regions of ``p >= grow_threshold`` that reach ``p >= threshold``), drops connected
   components smaller than ``min_volume_mm3`` (default a constant fixed a priori: the
   smallest simulated lesion, 0.05 cm³; a weights file may store its own, chosen
   label-free) and, with ``min_share``, those under that share of the largest, and
   summarises the mask (:func:`plausibility`); the layers are kept when asked for.

Inputs a model cannot read are refused before anything is written, unless ``force``:
for a brain FLAIR model a Hounsfield-like range (a CT) or no zero background (not
skull-stripped, e.g. a raw T1 or FLAIR with the skull); for a CT model a scan whose
minimum is above −200 (not in HU: an MRI).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.inference.ld_model import LDModel
from medssl.inference.predictor import NetOutput, Prediction, Predictor
from medssl.io import Image
from medssl.preprocess.foreground import foreground, has_background

MIN_VOLUME_MM3 = 50.0
#: Share of the brain above which a mask is reported as implausible. Large gliomas with
#: their oedema reach about a third of a hemisphere (15-25 % of the brain); the spill-over
#: failures this warns about mark most of the brain.
MAX_BRAIN_SHARE = 0.35


def plausibility(mask: np.ndarray, brain: np.ndarray, voxel_mm3: float) -> dict[str, Any]:
    """Volume (cm³), number of components and share of the brain of a mask.

    Shape:
        ``mask``, ``brain``: the same (X, Y, Z).
    """
    from scipy import ndimage

    _, count = ndimage.label(mask > 0)
    voxels = int(np.count_nonzero(mask))
    brain_voxels = int(np.count_nonzero(brain))
    return {
        "volume_ml": voxels * voxel_mm3 / 1000.0,
        "components": int(count),
        "brain_share": voxels / brain_voxels if brain_voxels else 0.0,
    }


def hysteresis(probability: np.ndarray, high: float, low: float) -> np.ndarray:
    """The connected components (26-connected) of ``probability >= low`` that hold a
    voxel of ``probability >= high``; ``low >= high`` is the plain ``>= high`` mask.

    Shape:
        ``probability``: (X, Y, Z); returns a bool array of the same shape.
    """
    from scipy import ndimage

    if low >= high:
        return probability >= high
    labels, count = ndimage.label(probability >= low, structure=np.ones((3, 3, 3), bool))
    if count == 0:
        return labels > 0
    seeded = np.zeros(count + 1, bool)
    seeded[np.unique(labels[probability >= high])] = True
    seeded[0] = False
    return seeded[labels]


def drop_small(
    mask: np.ndarray, voxel_mm3: float, min_volume_mm3: float, min_share: float = 0.0
) -> np.ndarray:
    """``mask`` without its connected components smaller than ``min_volume_mm3``, and,
    with ``min_share`` > 0, without those under that share of the largest one left."""
    from scipy import ndimage

    labels, count = ndimage.label(mask > 0)
    if count == 0 or (min_volume_mm3 <= 0 and min_share <= 0):
        return mask
    sizes = np.bincount(labels.ravel())[1:] * voxel_mm3
    keep = sizes >= min_volume_mm3
    if min_share > 0 and keep.any():
        keep &= sizes >= min_share * sizes[keep].max()
    return np.concatenate([[False], keep])[labels].astype(mask.dtype)


def refuse_input(image: Image, *, modality: str = "FLAIR", force: bool = False) -> list[str]:
    """:func:`check_input`, with its findings an error unless ``force``.

    Raises:
        MedsslError: An empty image; without ``force``, a FLAIR model's input that is
            CT-like or not skull-stripped, or a CT model's input that is not in HU (an
            MRI) (one line: the file and why).
    """
    notes = check_input(image, modality=modality)
    if notes and not force:
        reads = {
            "FLAIR": "the brain model reads skull-stripped FLAIR only",
            "CT": "the CT model reads CT in Hounsfield units only (not MRI)",
        }.get(modality, f"the model reads {modality} only")
        raise MedsslError(f"refused: {notes[0]}; {reads} (use --force to segment it anyway)")
    return notes


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


#: Intensity normalisations of the MRI presets: N4 goes just before the first of them.
_NORMALISERS = ("zscore", "robust_scale", "percentile_scale", "histogram_standardise")
BIAS_CORRECTIONS = ("n4", "none")


def with_bias_correction(preset: Any, choice: str | dict[str, Any] | None) -> list[dict[str, Any]]:
    """The preset's inference steps with N4 bias-field correction added or removed.

    ``None`` keeps the steps as stored; ``"none"`` drops any ``bias_correct`` step;
    ``"n4"`` (default settings) or a ``bias_correct`` step config puts one just before
    the intensity normalisation, in place of a stored one.

    Raises:
        MedsslError: An unknown choice, or N4 asked of a CT preset (HU are absolute).
    """
    steps = [dict(s) for s in preset.infer_steps]
    if choice is None:
        return steps
    if isinstance(choice, str) and choice not in BIAS_CORRECTIONS:
        raise MedsslError(
            f"bias correction must be one of {', '.join(BIAS_CORRECTIONS)}; got '{choice}'"
        )
    steps = [s for s in steps if s["name"] != "bias_correct"]
    if choice == "none":
        return steps
    if preset.modality == "CT":
        raise MedsslError("bias correction (N4) is for MRI models; CT intensities are in HU")
    step = {"name": "bias_correct"} if choice == "n4" else dict(choice)
    if step.get("name") != "bias_correct":
        raise MedsslError(
            f"a bias correction step config must be named 'bias_correct'; got {step!r}"
        )
    at = next((k for k, s in enumerate(steps) if s["name"] in _NORMALISERS), None)
    if at is None:
        raise MedsslError(
            f"preset '{preset.name}' has no intensity normalisation to correct before"
        )
    return steps[:at] + [step] + steps[at:]


def window_size(
    shape: Sequence[int], window: Sequence[int], divisor: int = 8
) -> tuple[int, int, int]:
    """The sliding window: the preset's, shrunk to the volume, in multiples of ``divisor``
    (the network's ``size_divisor``)."""
    up = [-(-int(s) // divisor) * divisor for s in shape]
    down = [max(divisor, int(w) // divisor * divisor) for w in window]
    return tuple(min(d, u) for u, d in zip(up, down))  # type: ignore[return-value]


class LDPredictor(Predictor):
    """Layer decomposition of a trained ``ld`` network.

    Args:
        ld: The loaded model (:func:`medssl.inference.ld_model.load_ld_model`).
        threshold: Mask probability threshold, in (0, 1).
        overlap: Sliding-window overlap.
        mirror: Average over the 8 axis flips (slower, smoother).
        precision: ``"auto"``, ``"bf16"`` or ``"fp32"``.
        layers: Also map the normal and tumour layers back (``maps``), for writing.
        channel: Channel of 4D inputs.
        min_volume_mm3: Components smaller than this are dropped.
        min_share: Then components under this share of the largest one, in [0, 1).
        grow_threshold: With a value below ``threshold``, the mask is grown by
            hysteresis from the voxels at ``threshold`` into connected voxels at
            ``grow_threshold`` (:func:`hysteresis`); ``None``: the plain threshold.
        force: Segment inputs that do not look like the model's modality (warning only).
        bias_correction: ``None`` (as the weights' preset says), ``"n4"`` (N4
            bias-field correction before the intensity normalisation; MRI models
            only), ``"none"`` (without it), or a ``bias_correct`` step config.

    Raises:
        MedsslError: A threshold outside (0, 1), a grow threshold outside (0, 1), a bad
            overlap or precision, or a bad ``bias_correction``.
    """

    name = "layer decomposition"

    def __init__(
        self,
        ld: LDModel,
        *,
        threshold: float = 0.5,
        overlap: float = 0.5,
        mirror: bool = False,
        precision: str = "auto",
        layers: bool = False,
        channel: int | None = None,
        min_volume_mm3: float = MIN_VOLUME_MM3,
        force: bool = False,
        bias_correction: str | dict[str, Any] | None = None,
        grow_threshold: float | None = None,
        min_share: float = 0.0,
    ) -> None:
        from medssl.inference.sliding import check_options
        from medssl.methods.ld.presets import pipeline_of

        if not 0.0 < float(threshold) < 1.0:
            raise MedsslError(f"threshold must be in (0, 1); got {threshold}")
        if grow_threshold is not None and not 0.0 < float(grow_threshold) < 1.0:
            raise MedsslError(f"grow threshold must be in (0, 1); got {grow_threshold}")
        check_options(overlap=overlap, precision=precision)
        self.ld, self.threshold = ld, float(threshold)
        self.grow_threshold = None if grow_threshold is None else float(grow_threshold)
        self.overlap, self.mirror, self.precision = overlap, mirror, precision
        self.layers, self.channel = layers, channel
        if float(min_volume_mm3) < 0:
            raise MedsslError(f"min_volume_mm3 must be >= 0; got {min_volume_mm3}")
        if not 0.0 <= float(min_share) < 1.0:
            raise MedsslError(f"min_share must be in [0, 1); got {min_share}")
        self.min_volume_mm3, self.force = float(min_volume_mm3), bool(force)
        self.min_share = float(min_share)
        self.pipeline = pipeline_of(with_bias_correction(ld.preset, bias_correction))
        #: The preprocessing measures the organ (``organ_window``): an ROI must be given.
        self.reads_organ = any(s["name"] == "organ_window" for s in ld.preset.infer_steps)

    def to(self, device: str) -> LDPredictor:
        self.ld.model = self.ld.model.to(device)
        self.device = str(device)
        return self

    def check(self, image: Image) -> list[str]:
        return refuse_input(image, modality=self.ld.preset.modality, force=self.force)

    def predict(self, sample: Any) -> NetOutput:
        import torch

        from medssl.inference.sliding import sliding_window_predict

        preset = self.ld.preset
        volume = torch.from_numpy(np.ascontiguousarray(sample.image))[None, None]
        out = (
            sliding_window_predict(
                self.ld.model,
                volume.to(self.device),
                roi_size=window_size(sample.image.shape, preset.window, self.ld.model.size_divisor),
                overlap=self.overlap,
                mirror_axes=(0, 1, 2) if self.mirror else (),
                precision=self.precision,
            )[0]
            .cpu()
            .numpy()
        )
        prob = (1.0 / (1.0 + np.exp(-out[2].astype(np.float64)))).astype(np.float32)
        if preset.mask_inside_foreground and sample.roi is not None:
            prob = np.where(np.asarray(sample.roi) > 0, prob, np.float32(0))
        maps = {"probability": prob}
        if self.layers:
            maps |= {"normal": out[0], "tumour": out[1]}
        net = {"image": sample.image, "normal": out[0], "tumour": out[1], "probability": prob}
        return NetOutput(maps=maps, net=net)

    def binary(self, probability: np.ndarray) -> np.ndarray:
        """The mask rule: ``probability >= threshold``, grown by hysteresis when set."""
        grow = self.threshold if self.grow_threshold is None else self.grow_threshold
        return hysteresis(probability, self.threshold, grow)

    def finish(self, image: Image, maps: dict[str, np.ndarray], out: NetOutput) -> Prediction:
        probability = maps["probability"]
        brain = foreground(image.array)
        if self.ld.preset.mask_inside_foreground:
            probability = np.where(brain, probability, np.float32(0))
        layers = {k: maps[k] for k in ("normal", "tumour") if k in maps}
        voxel_mm3 = float(abs(np.linalg.det(np.asarray(image.geometry.affine)[:3, :3])))
        mask = drop_small(
            self.binary(probability).astype(np.uint8),
            voxel_mm3,
            self.min_volume_mm3,
            self.min_share,
        )
        summary = plausibility(mask, brain, voxel_mm3)
        summary["region"] = "brain" if self.ld.preset.mask_inside_foreground else "scan"
        return Prediction(mask=mask, maps=layers, net=out.net, summary=summary)
