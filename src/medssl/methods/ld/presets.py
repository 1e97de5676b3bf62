"""Layer-decomposition presets: how an organ's scans are prepared, synthesised and read.

A preset ties together what training (:mod:`medssl.methods.ld.method`) and zero-shot
segmentation (:mod:`medssl.inference.ld`) must agree on:

- ``train_steps``: the preprocessing of the cached training volumes (network spacing,
  cropped to the organ). Synthesis runs on these arrays, so their intensities are the
  ones the synthesis preset expects (z-scored FLAIR; Hounsfield units for CT).
- ``post_steps``: intensity steps applied after synthesis, per item (the CT window).
  Composition ``x = (1 − α·m)·x_n + α·m·s`` commutes with a linear window wherever
  no value is clipped, so windowing after synthesis keeps the targets consistent.
- ``infer_steps``: the whole chain for a new scan at inference (no organ mask is
  needed: brain = foreground of the skull-stripped image; CT = the body).
- the synthesis preset, the training crop and the inference window.

Presets (both at 2 mm):

- ``brain_flair``: skull-stripped FLAIR; brain = the given brain mask, else the
  voxels above the background (0, or the constant an earlier normalisation left
  there; :mod:`medssl.preprocess.foreground`); z-scored inside the brain (0 outside).
  Masks are kept inside the brain.
- ``liver_ct``: CT; training crops to the liver (label 5 of a TotalSegmentator map,
  as ``roi``) with a 20 mm margin; inference crops to the body (HU > −500); window
  −175..250 HU scaled to [0, 1]. With ``normalisation="organ"`` the window follows
  :class:`~medssl.preprocess.ct_window.OrganWindow` (the liver's median and IQR
  brought to a reference first), and inference needs the organ (``--roi``).
- ``spleen_ct``: the same for the spleen (label 1 of the MSD spleen label or of a
  TotalSegmentator map), with the liver preset's hypo-dense lesions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medssl.errors import MedsslError
from medssl.registry import Registry

LD_PRESETS: Registry = Registry("layer-decomposition preset")


@dataclass(frozen=True)
class LDPreset:
    """Everything an LD model needs to read scans of one kind.

    Attributes:
        name: Preset name (stored in exported weights).
        modality: ``"FLAIR"`` or ``"CT"``; drives the input checks at inference.
        spacing: Network voxel size in mm.
        train_steps: Step configs of the training cache pipeline.
        post_steps: Step configs applied after synthesis (training) — also the tail of
            ``infer_steps``.
        infer_steps: Step configs of the inference pipeline.
        synthesis: Name of the :mod:`medssl.synthesis` preset.
        roi_labels: Values of the record's ROI map that form the organ; ``None``: the
            organ is the nonzero voxels of the preprocessed image.
        patch_size: Training crop.
        window: Inference window of the sliding-window predictor.
        mask_inside_foreground: At inference, keep mask voxels inside the image
            foreground only (the brain of a skull-stripped scan).
    """

    name: str
    modality: str
    spacing: float
    train_steps: list[dict[str, Any]]
    post_steps: list[dict[str, Any]]
    infer_steps: list[dict[str, Any]]
    synthesis: str
    roi_labels: tuple[int, ...] | None = None
    patch_size: tuple[int, int, int] = (64, 64, 64)
    window: tuple[int, int, int] = (96, 96, 96)
    mask_inside_foreground: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, stored in exported weights (``extra["ld"]``)."""
        return {
            "name": self.name, "modality": self.modality, "spacing": self.spacing,
            "train_steps": self.train_steps, "post_steps": self.post_steps,
            "infer_steps": self.infer_steps, "synthesis": self.synthesis,
            "roi_labels": None if self.roi_labels is None else list(self.roi_labels),
            "patch_size": list(self.patch_size), "window": list(self.window),
            "mask_inside_foreground": self.mask_inside_foreground,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "weights") -> LDPreset:
        """Inverse of :meth:`to_dict`.

        Raises:
            MedsslError: A missing or malformed entry, naming ``source``.
        """
        try:
            return cls(
                name=str(data["name"]), modality=str(data["modality"]),
                spacing=float(data["spacing"]), train_steps=list(data["train_steps"]),
                post_steps=list(data["post_steps"]), infer_steps=list(data["infer_steps"]),
                synthesis=str(data["synthesis"]),
                roi_labels=None if data.get("roi_labels") is None
                else tuple(int(v) for v in data["roi_labels"]),
                patch_size=_triple(data.get("patch_size", 64)),
                window=_triple(data.get("window", 96)),
                mask_inside_foreground=bool(data.get("mask_inside_foreground", False)),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise MedsslError(f"bad layer-decomposition preset in {source}: {exc!r}") from None


def _triple(value: Any) -> tuple[int, int, int]:
    values = [int(v) for v in (value if isinstance(value, (list, tuple)) else [value] * 3)]
    if len(values) != 3 or min(values) < 1:
        raise MedsslError(f"patch and window sizes must be 3 positive integers; got {value!r}")
    return tuple(values)  # type: ignore[return-value]


def _edit(steps: list[dict[str, Any]], name: str, change) -> list[dict[str, Any]]:
    """``steps`` with every step called ``name`` replaced by ``change(step)``."""
    return [change(s) if s["name"] == name else s for s in steps]


def ld_preset(
    name: str,
    *,
    spacing: float | None = None,
    patch_size: int | tuple[int, int, int] | None = None,
    window: int | tuple[int, int, int] | None = None,
    normalisation: str | None = None,
    landmarks: list[float] | None = None,
    antialias: bool = False,
) -> LDPreset:
    """Build a registered preset, optionally with another spacing, crop, window or normalisation.

    Args:
        name: Registered preset name.
        spacing: Network voxel size in mm.
        patch_size: Training crop.
        window: Inference window.
        normalisation: MRI presets: one of :data:`NORMALISATIONS` in place of the
            preset's z-score; CT presets: one of :data:`CT_NORMALISATIONS` (training and
            inference alike).
        landmarks: Standard landmarks of ``"histogram"``
            (:func:`medssl.preprocess.robust_norm.train_landmarks`).
        antialias: Low-pass an image before the ``resample`` step makes an axis coarser
            (:class:`medssl.preprocess.resample.Resample`), in training and inference.

    Raises:
        MedsslError: Unknown name (valid names listed), a bad size, an unknown
            normalisation, or ``"histogram"`` without landmarks.
    """
    preset = LD_PRESETS.get(name)(spacing=spacing or 2.0)
    changes: dict[str, Any] = {}
    if preset.modality == "CT" and normalisation is not None:
        if normalisation not in CT_NORMALISATIONS:
            raise MedsslError(
                f"'{name}' is CT: normalisation must be one of {', '.join(CT_NORMALISATIONS)}; "
                f"got '{normalisation}'"
            )
        if normalisation == "organ":
            organ = lambda s: s | {"name": "organ_window"}
            for key in ("post_steps", "infer_steps"):
                changes[key] = _edit(getattr(preset, key), "ct_window", organ)
    elif normalisation is not None and normalisation != "zscore":
        step = normalisation_step(normalisation, landmarks)
        for key in ("train_steps", "infer_steps"):
            changes[key] = _edit(getattr(preset, key), "zscore", lambda s: step)
    if antialias:
        for key in ("train_steps", "infer_steps"):
            steps = changes.get(key, getattr(preset, key))
            changes[key] = _edit(steps, "resample", lambda s: s | {"antialias": True})
    if patch_size is not None:
        changes["patch_size"] = _triple(patch_size)
    if window is not None:
        changes["window"] = _triple(window)
    if changes:
        data = preset.to_dict() | {k: list(v) for k, v in changes.items()}
        return LDPreset.from_dict(data, source=f"preset '{name}'")
    return preset


NORMALISATIONS = ("zscore", "robust", "robust_interior", "percentile", "histogram")
#: CT presets: the absolute HU window, or the window after the organ's median and IQR
#: are brought to a reference (:class:`medssl.preprocess.ct_window.OrganWindow`).
CT_NORMALISATIONS = ("window", "organ")


def normalisation_step(name: str, landmarks: list[float] | None = None) -> dict[str, Any]:
    """The in-brain intensity step of a normalisation name (see :data:`NORMALISATIONS`).

    ``zscore``: mean/std after clipping to 0.5–99.5 %; ``robust``: median/IQR;
    ``robust_interior``: median/IQR measured one voxel inside the brain's edge;
    ``percentile``: 1st/99th percentiles to −1/1; ``histogram``: Nyúl standardisation
    to ``landmarks`` (:mod:`medssl.preprocess.robust_norm`).

    Raises:
        MedsslError: An unknown name, or ``histogram`` without landmarks.
    """
    if name == "zscore":
        return {"name": "zscore", "mask": "roi", "percentiles": [0.5, 99.5]}
    if name == "robust":
        return {"name": "robust_scale", "mask": "roi"}
    if name == "robust_interior":
        return {"name": "robust_scale", "mask": "roi", "erode": 1}
    if name == "percentile":
        return {"name": "percentile_scale", "mask": "roi", "percentiles": [1.0, 99.0]}
    if name == "histogram":
        if not landmarks:
            raise MedsslError(
                "normalisation 'histogram' needs landmarks (scripts/select_normalisation.py "
                "prints them; set method_options.landmarks)"
            )
        return {
            "name": "histogram_standardise",
            "mask": "roi",
            "landmarks": [float(v) for v in landmarks],
        }
    raise MedsslError(f"unknown normalisation '{name}'; valid: {', '.join(NORMALISATIONS)}")


@LD_PRESETS.register("brain_flair")
def brain_flair(*, spacing: float = 2.0) -> LDPreset:
    """Skull-stripped FLAIR, z-scored inside the brain, at ``spacing`` mm."""
    steps = [
        {"name": "reorient"},
        {"name": "foreground_roi"},
        {"name": "crop", "source": "roi", "margin_mm": 4.0},
        normalisation_step("zscore"),
        {"name": "resample", "spacing": [spacing] * 3},
    ]
    return LDPreset(
        name="brain_flair", modality="FLAIR", spacing=spacing, train_steps=steps,
        post_steps=[], infer_steps=steps, synthesis="brain", roi_labels=None,
        mask_inside_foreground=True,
    )  # fmt: skip


def _abdominal_ct(name: str, organ: int, spacing: float) -> LDPreset:
    """CT in HU; training crops to ``organ`` of a label map, inference to the body."""
    window = [{"name": "ct_window", "low": -175.0, "high": 250.0, "out_range": [0.0, 1.0]}]
    resample = {"name": "resample", "spacing": [spacing] * 3}
    train = [
        {"name": "reorient"},
        {"name": "crop", "source": "roi", "roi_labels": [organ], "margin_mm": 20.0},
        resample,
    ]
    infer = [
        {"name": "reorient"},
        {"name": "crop", "source": "image", "threshold": -500.0, "margin_mm": 0.0},
        resample,
        *window,
    ]
    return LDPreset(
        name=name, modality="CT", spacing=spacing, train_steps=train,
        post_steps=window, infer_steps=infer, synthesis="liver", roi_labels=(organ,),
    )  # fmt: skip


@LD_PRESETS.register("liver_ct")
def liver_ct(*, spacing: float = 2.0) -> LDPreset:
    """Abdominal CT in HU; liver = label 5 of a TotalSegmentator map for training."""
    return _abdominal_ct("liver_ct", 5, spacing)


@LD_PRESETS.register("spleen_ct")
def spleen_ct(*, spacing: float = 2.0) -> LDPreset:
    """Abdominal CT in HU; spleen = label 1 (MSD Task09 label, TotalSegmentator map).

    Hypo-dense lesions are drawn with the liver synthesis preset.
    """
    return _abdominal_ct("spleen_ct", 1, spacing)


def pipeline_of(steps: list[dict[str, Any]]):
    """A :class:`medssl.preprocess.Pipeline` from step configs (imported lazily)."""
    from medssl.preprocess import Pipeline

    return Pipeline.from_config({"steps": [dict(s) for s in steps]})
