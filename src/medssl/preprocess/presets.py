"""Named preprocessing pipelines for common data (a registry filled by a decorator).

Every preset orders its steps the same way: reorient to RAS, crop (cheap, done on
the original grid), set intensities (statistics from the original voxels), resample
to ``target_spacing``, then fit the network ``grid``. ``grid=None`` leaves out the
last step: the working grid is then the resampled volume itself, at exactly
``target_spacing`` (for patch-based training and sliding-window inference). All
options are keyword-only and have defaults; ``preset(name, **options)`` builds the
pipeline. :func:`preset_for_modality` names the preset of a modality (CT or MR).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from medssl.preprocess.crop import Crop
from medssl.preprocess.ct_window import CTWindow
from medssl.preprocess.fit_grid import FitGrid
from medssl.preprocess.pipeline import Pipeline
from medssl.preprocess.reorient import Reorient
from medssl.preprocess.resample import Resample
from medssl.preprocess.zscore import ZScore
from medssl.registry import Registry

Spacing = float | tuple[float, float, float]
Grid = int | tuple[int, int, int] | None

PRESETS: Registry[Callable[..., Pipeline]] = Registry("preprocessing preset")


def preset(name: str, **options: Any) -> Pipeline:
    """Build the named preset pipeline (unknown names list the valid ones).

    Raises:
        MedsslError: Unknown preset name, unknown option, or bad option value.
    """
    import inspect

    from medssl.errors import MedsslError

    factory = PRESETS.get(name)
    valid = list(inspect.signature(factory).parameters)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise MedsslError(
            f"preset '{name}' has no option {', '.join(unknown)}; valid: {', '.join(valid)}"
        )
    try:
        return factory(**options)
    except (TypeError, IndexError) as exc:
        raise MedsslError(f"preset '{name}': bad option value ({exc})") from None


MODALITY_PRESETS: dict[str, str] = {"ct": "ct", "mr": "brain_flair"}
"""The default preset of each modality kind (see :func:`modality_kind`)."""


_MR_NAMES = ("mr", "flair", "t1", "t2", "pd", "dwi", "adc", "swi", "dce", "bold")


def modality_kind(text: str | None) -> str | None:
    """``"ct"`` for CT, ``"mr"`` for an MR name (MR, MRI, FLAIR, T1w, T2...), else None."""
    name = str(text or "").strip().lower()
    if name in ("ct", "cect", "ncct", "cta"):
        return "ct"
    if name.startswith(_MR_NAMES):
        return "mr"
    return None


def preset_for_modality(kind: str) -> str:
    """The preset used for a modality kind: ``ct`` for CT, ``brain_flair`` for MR.

    Raises:
        MedsslError: A kind other than ``ct`` or ``mr``.
    """
    from medssl.errors import MedsslError

    if kind not in MODALITY_PRESETS:
        raise MedsslError(f"modality must be one of {', '.join(MODALITY_PRESETS)}; got '{kind}'")
    return MODALITY_PRESETS[kind]


def _fit(grid: Grid, mode: str, pad_value: float = 0.0) -> list[FitGrid]:
    return [] if grid is None else [FitGrid(size=grid, mode=mode, pad_value=pad_value)]


@PRESETS.register("mri")
def mri(
    *,
    target_spacing: Spacing = 1.5,
    grid: Grid = 96,
    mode: str = "fit",
    mask: str = "above_min",
    percentiles: tuple[float, float] = (0.5, 99.5),
    margin_mm: float = 0.0,
) -> Pipeline:
    """MRI: crop to the foreground, z-score inside it (0 outside), resample, fit the grid.

    ``mask`` picks the foreground for both the crop and the statistics:
    ``"above_min"`` (default: voxels above the background value, whether it is 0 or
    another constant), ``"nonzero"``, or ``"roi"`` (the ROI passed to
    :meth:`Pipeline.apply`, e.g. a brain mask).
    """
    if mask == "roi":
        crop = Crop(source="roi", margin_mm=margin_mm)
    else:
        threshold = "min" if mask == "above_min" else None
        crop = Crop(source="image", threshold=threshold, margin_mm=margin_mm)
    return Pipeline(
        [
            Reorient(),
            crop,
            ZScore(mask=mask, percentiles=percentiles),
            Resample(spacing=target_spacing),
            *_fit(grid, mode),
        ]
    )


@PRESETS.register("brain_flair")
def brain_flair(
    *,
    target_spacing: Spacing = 1.0,
    grid: Grid = 128,
    mode: str = "fit",
    mask: str = "above_min",
    percentiles: tuple[float, float] = (0.5, 99.5),
    margin_mm: float = 0.0,
) -> Pipeline:
    """Skull-stripped brain MRI (e.g. BraTS FLAIR): 1 mm, brain crop, z-score, 128³.

    With ``mask="roi"``, pass the brain mask as ``roi`` to crop and z-score inside it.
    """
    return mri(
        target_spacing=target_spacing,
        grid=grid,
        mode=mode,
        mask=mask,
        percentiles=percentiles,
        margin_mm=margin_mm,
    )


@PRESETS.register("ct")
def ct(
    *,
    target_spacing: Spacing = 1.5,
    grid: Grid = 96,
    mode: str = "fit",
    window: tuple[float, float] = (-175.0, 250.0),
    out_range: tuple[float, float] = (0.0, 1.0),
    body_threshold: float = -500.0,
    margin_mm: float = 0.0,
) -> Pipeline:
    """CT: crop to the body (HU above ``body_threshold``), clip the window, scale, fit."""
    return Pipeline(
        [
            Reorient(),
            Crop(source="image", threshold=body_threshold, margin_mm=margin_mm),
            CTWindow(low=window[0], high=window[1], out_range=out_range),
            Resample(spacing=target_spacing),
            *_fit(grid, mode, out_range[0]),
        ]
    )


@PRESETS.register("ct_liver")
def ct_liver(
    *,
    target_spacing: Spacing = 1.5,
    grid: Grid = 96,
    mode: str = "fit",
    window: tuple[float, float] = (-175.0, 250.0),
    out_range: tuple[float, float] = (0.0, 1.0),
    roi_labels: tuple[int, ...] = (5,),
    margin_mm: float = 10.0,
) -> Pipeline:
    """CT cropped to an organ of an ROI map (default: liver, label 5 of TotalSegmentator)."""
    return Pipeline(
        [
            Reorient(),
            Crop(source="roi", roi_labels=roi_labels, margin_mm=margin_mm),
            CTWindow(low=window[0], high=window[1], out_range=out_range),
            Resample(spacing=target_spacing),
            *_fit(grid, mode, out_range[0]),
        ]
    )


@PRESETS.register("ct_pgl")
def ct_pgl(
    *,
    target_spacing: Spacing = 1.5,
    grid: Grid = 96,
    mode: str = "fit",
    window: tuple[float, float] = (-1024.0, 325.0),
    body_threshold: float = -500.0,
    margin_mm: float = 0.0,
) -> Pipeline:
    """CT as in PGL (Xie et al., 2020): clipped to [-1024, 325] HU (z-scored by the views)."""
    return ct(
        target_spacing=target_spacing,
        grid=grid,
        mode=mode,
        window=window,
        body_threshold=body_threshold,
        margin_mm=margin_mm,
    )
