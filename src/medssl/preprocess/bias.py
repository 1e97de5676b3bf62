"""N4 bias-field correction of MRI (Tustison et al., IEEE TMI 2010), with SimpleITK.

Raw clinical MRI carries a smooth multiplicative field from the receive coils: the
same tissue is brighter near a coil than far from it. ``bias_correct`` estimates that
field with SimpleITK's ``N4BiasFieldCorrectionImageFilter`` inside a mask (the brain
ROI, or the nonzero voxels) on a copy shrunk to about ``shrink_mm`` per voxel, then
divides the full-resolution image by the field evaluated on its own grid (with
``outlier_fence``, fitted again without the brightest voxels of the first pass). Voxels
outside the mask keep their values. The grid is unchanged, so the step inverts as
the identity.

The defaults (two fitting levels on a 6 mm copy) were compared label-free with three
levels and with the outlier fence, on lesions simulated into held-out FLAIR scans
(``scripts/simulated_heldout.py``; the brain model card has the figures). Every
setting flattens large lesions somewhat, which is why it is an option, not a default.

The record holds the field's range inside the mask (its 1st and 99th percentiles),
so a run shows how strong a field it removed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess.robust_norm import _MASKS, _masked
from medssl.preprocess.step import State, Step, register_step


@register_step
@dataclass(frozen=True)
class BiasCorrect(Step):
    """Divide the image by its N4 bias field, estimated inside the mask.

    Args:
        mask: ``"roi"`` (the pipeline's ROI, e.g. a brain mask) or ``"nonzero"``.
        shrink_mm: Voxel size of the copy the field is fitted on (per axis, the
            shrink factor is ``round(shrink_mm / spacing)``, at least 1).
        iterations: Iterations per fitting level (one entry per level).
        control_points: B-spline control points per axis at the first level.
        outlier_fence: When > 0, the field is fitted a second time without the voxels
            above ``Q3 + outlier_fence · IQR`` of the first correction (FLAIR lesions
            are bright: a flexible field would otherwise flatten a large one); 0 fits
            once on the whole mask.
    """

    name = "bias_correct"
    mask: str = "roi"
    shrink_mm: float = 6.0
    iterations: tuple[int, ...] = (50, 50)
    control_points: int = 4
    outlier_fence: float = 0.0

    def __post_init__(self) -> None:
        if self.mask not in _MASKS:
            raise MedsslError(
                f"bias_correct mask must be one of {', '.join(_MASKS)}; got '{self.mask}'"
            )
        if not float(self.shrink_mm) > 0:
            raise MedsslError(f"bias_correct shrink_mm must be > 0; got {self.shrink_mm}")
        levels = tuple(int(v) for v in self.iterations)
        if not levels or min(levels) < 1:
            raise MedsslError(
                f"bias_correct iterations must be positive integers, one per level; "
                f"got {self.iterations!r}"
            )
        if int(self.control_points) < 4:
            raise MedsslError(
                f"bias_correct control_points must be >= 4 (cubic B-spline); got {self.control_points}"
            )
        if not float(self.outlier_fence) >= 0:
            raise MedsslError(f"bias_correct outlier_fence must be >= 0; got {self.outlier_fence}")
        object.__setattr__(self, "iterations", levels)

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        image, region = _masked(state, self.mask, self.name)
        low = float(image[region].min())
        if low <= 0:  # N4 works on the log of the image: shift the brain above zero
            offset = 1.0 - low
        else:
            offset = 0.0
        factors = [max(1, round(float(self.shrink_mm) / sp)) for sp in state.spacing]
        shifted = image + offset
        field = self._field(shifted, region, state.spacing, factors)
        if field is None:
            return state, {"step": self.name, "skipped": "mask too small to fit a field"}
        record: dict[str, Any] = {"step": self.name, "shrink": factors}
        if self.outlier_fence > 0:  # refit without the brightest voxels (lesions)
            corrected = shifted[region] / field[region]
            q1, q3 = np.percentile(corrected, [25.0, 75.0])
            fence = q3 + float(self.outlier_fence) * (q3 - q1)
            normal = region.copy()
            normal[region] = corrected <= fence
            record["excluded"] = float(1.0 - normal.sum() / region.sum())
            refit = self._field(shifted, normal, state.spacing, factors) if normal.any() else None
            field = field if refit is None else refit  # too few normal voxels: keep the first
        out = image.copy()
        out[region] = shifted[region] / field[region] - offset
        p1, p99 = (float(v) for v in np.percentile(field[region], [1.0, 99.0]))
        record |= {"field_p1": p1, "field_p99": p99}
        return dataclasses.replace(state, image=out.astype(np.float32)), record

    def _field(
        self, image: np.ndarray, region: np.ndarray, spacing: tuple[float, ...], factors: list[int]
    ) -> np.ndarray | None:
        """The multiplicative field on the image's grid, fitted inside ``region``."""
        import SimpleITK as sitk

        # SimpleITK arrays are (Z, Y, X): transpose in and out, spacing in (X, Y, Z) order
        full = sitk.GetImageFromArray(np.transpose(image))
        full.SetSpacing([float(v) for v in spacing])
        mask = sitk.GetImageFromArray(np.transpose(region).astype(np.uint8))
        mask.CopyInformation(full)
        small, small_mask = sitk.Shrink(full, factors), sitk.Shrink(mask, factors)
        if int(np.count_nonzero(sitk.GetArrayViewFromImage(small_mask))) < 64:
            return None
        n4 = sitk.N4BiasFieldCorrectionImageFilter()
        n4.SetMaximumNumberOfIterations([int(v) for v in self.iterations])
        n4.SetNumberOfControlPoints([int(self.control_points)] * 3)
        n4.Execute(small, small_mask)
        log_field = np.transpose(sitk.GetArrayFromImage(n4.GetLogBiasFieldAsImage(full)))
        return np.exp(log_field.astype(np.float32))
