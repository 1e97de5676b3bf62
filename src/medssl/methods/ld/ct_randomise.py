"""Domain randomisation of CT volumes (in HU) in the layer-decomposition data stream.

A zero-shot liver model meets CT scans of other contrast phases, dose levels and
reconstructions. Each training item can get such a scan's look, the normal volume,
the texture donor or both (``apply_to``), before the tumour is synthesised; with
``after_synthesis`` the normal volume's look is given after the tumour is pasted, to
the scan and its tumour together, as in a real acquisition. As for
MRI (:mod:`medssl.methods.ld.randomise`) every part has its own switch and its own
probability ``p_*``, the draws come from the one passed generator, and the drawn
parameters are returned for the record.

The cached volume is in Hounsfield units, a calibrated scale: water is 0 and air
−1000 on every scanner. The MRI parts that model an uncalibrated signal (a bias
field, a gamma curve, raw scanner units, a noise level relative to the signal range)
have no meaning here; :meth:`CTRandomisationConfig.from_options` refuses them by
name. The CT parts, in this order:

1. ``phase``: the contrast phase. Enhancement of the organ and the soft tissue
   differs between unenhanced, arterial, portal-venous and late scans (a liver is
   about 55 HU unenhanced and 100-130 HU portal-venous). A target median ``t`` of
   the organ is drawn from ``phase_organ_hu_range``, whatever the phase of the
   source scan, and soft-tissue voxels get ``h + w(h)·(o + (c − 1)·(h − m))``: the
   offset ``o = t − m`` from the organ's median ``m`` and a contrast ``c``
   (log-uniform in ``phase_scale_range``) around ``m``. ``w`` is 1 over the soft-tissue band (``soft_tissue_hu``) and falls
   linearly to 0 over ``soft_tissue_ramp_hu`` on either side, so that air, fat and
   dense bone keep their HU.
   ``vessels`` (off unless switched on) follows it: enhanced vessels painted into the
   organ, brighter the more the organ is enhanced (:mod:`medssl.methods.ld.ct_vessels`).
   It draws from the generator only when switched on, so a config without it gets
   exactly the volumes it got before the part existed.
2. ``blur``: Gaussian, sigma in mm from ``blur_sigma_mm_range`` (a smoother
   reconstruction kernel).
3. ``thick_slices``: the slice axis (the last axis of the reoriented volume) is
   averaged over slabs ``f`` voxels thick and interpolated back (``f`` uniform in
   ``thick_factor_range``; :func:`medssl.methods.ld.randomise.thick_slices`).
4. ``noise``: Gaussian noise of standard deviation ``noise_std_hu_range`` (HU),
   slightly correlated in space (Gaussian σ = ``noise_corr_voxels``) as quantum noise
   after reconstruction is, rescaled to the drawn standard deviation; everywhere in
   the volume.

The result stays in HU; the preset's window is applied after synthesis, as without
randomisation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from medssl.errors import MedsslError
from medssl.methods.ld.randomise import (
    check_common_fields,
    config_from_options,
    thick_slices,
)

CT_PARTS = ("phase", "blur", "thick_slices", "noise")

#: Fields of the MRI randomisation that mean nothing on a calibrated HU scale.
MRI_ONLY = (
    "bias_field", "gamma", "raw_units", "p_bias_field", "p_gamma", "p_raw_units",
    "bias_points", "bias_range", "gamma_range", "contrast_range", "raw_scale_range",
    "raw_offset_range", "noise_std_range",
)  # fmt: skip


@dataclass(frozen=True)
class CTRandomisationConfig:
    """Switches, probabilities and ranges of the CT randomisation (see the module)."""

    apply_to: str = "both"
    after_synthesis: bool = False
    phase: bool = True
    blur: bool = True
    thick_slices: bool = True
    noise: bool = True
    p_phase: float = 0.8
    p_blur: float = 0.3
    p_thick_slices: float = 0.3
    p_noise: float = 0.5
    phase_organ_hu_range: tuple[float, float] = (45.0, 140.0)
    phase_scale_range: tuple[float, float] = (0.8, 1.25)
    soft_tissue_hu: tuple[float, float] = (0.0, 250.0)
    soft_tissue_ramp_hu: float = 50.0
    blur_sigma_mm_range: tuple[float, float] = (0.3, 1.5)
    thick_factor_range: tuple[float, float] = (1.25, 2.5)
    noise_std_hu_range: tuple[float, float] = (3.0, 20.0)
    noise_corr_voxels: float = 0.6
    vessels: bool = False
    p_vessels: float = 0.8
    vessel_count_range: tuple[float, float] = (30, 120)
    vessel_radius_mm_range: tuple[float, float] = (0.75, 4.0)
    vessel_enhancement_range: tuple[float, float] = (0.2, 0.8)

    def __post_init__(self) -> None:
        check_common_fields(self, extra_ranges=("soft_tissue_hu",), nonnegative=False)
        nonnegative = ("blur_sigma_mm_range", "noise_std_hu_range")
        for name in nonnegative:
            if getattr(self, name)[0] < 0:
                raise MedsslError(f"randomise.{name} must be >= 0; got {getattr(self, name)}")
        if self.phase_scale_range[0] <= 0 or self.thick_factor_range[0] < 1:
            raise MedsslError(
                "randomise: phase_scale_range must be positive and thick_factor_range >= 1; "
                f"got {self.phase_scale_range}, {self.thick_factor_range}"
            )
        if self.vessel_count_range[0] < 1 or self.vessel_radius_mm_range[0] <= 0:
            raise MedsslError(
                "randomise: vessel_count_range must start at >= 1 and vessel_radius_mm_range "
                f"above 0; got {self.vessel_count_range}, {self.vessel_radius_mm_range}"
            )
        if self.soft_tissue_ramp_hu < 0 or self.noise_corr_voxels < 0:
            raise MedsslError(
                "randomise: soft_tissue_ramp_hu and noise_corr_voxels must be >= 0; "
                f"got {self.soft_tissue_ramp_hu}, {self.noise_corr_voxels}"
            )

    @classmethod
    def from_options(
        cls, options: bool | dict[str, Any] | None, *, preset: str = "CT"
    ) -> CTRandomisationConfig | None:
        """``None``/``False``: off; ``True``: defaults; a mapping: fields to override.

        Raises:
            MedsslError: An MRI-only field (named, with why), unknown keys (valid ones
                listed) or bad values.
        """
        mri = [k for k in options if k in MRI_ONLY] if isinstance(options, dict) else []
        if mri:
            raise MedsslError(
                f"randomise.{mri[0]} does not apply to the CT preset '{preset}': HU are "
                f"calibrated (no bias field, gamma, raw units or relative noise); "
                f"CT parts: {', '.join(CT_PARTS)}"
            )
        return config_from_options(cls, options, what="CT randomise")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def targets(self) -> tuple[bool, bool]:
        """Whether the normal volume and the texture donor are randomised."""
        return self.apply_to in ("normal", "both"), self.apply_to in ("donor", "both")

    def parts(self) -> tuple[str, ...]:
        return CT_PARTS


def soft_tissue_weight(image: np.ndarray, band: tuple[float, float], ramp: float) -> np.ndarray:
    """1 inside the HU ``band``, falling linearly to 0 over ``ramp`` HU on either side.

    Shape:
        ``image``: any; returns the same shape, float32.
    """
    low, high = band
    if ramp <= 0:
        return ((image >= low) & (image <= high)).astype(np.float32)
    rise = (image - (low - ramp)) / ramp
    fall = ((high + ramp) - image) / ramp
    return np.clip(np.minimum(rise, fall), 0.0, 1.0).astype(np.float32)


def contrast_phase(
    image: np.ndarray, roi: np.ndarray, offset: float, scale: float, config: CTRandomisationConfig
) -> np.ndarray:
    """Soft tissue shifted by ``offset`` HU and scaled by ``scale`` around the organ median.

    Shape:
        ``image``, ``roi``: (X, Y, Z); returns the same shape, float32.
    """
    roi = np.asarray(roi, dtype=bool)
    median = float(np.median(image[roi])) if roi.any() else 0.0
    weight = soft_tissue_weight(image, config.soft_tissue_hu, config.soft_tissue_ramp_hu)
    return (image + weight * (offset + (scale - 1.0) * (image - median))).astype(np.float32)


def ct_noise(
    shape: tuple[int, ...], rng: np.random.Generator, std: float, corr: float
) -> np.ndarray:
    """Gaussian noise of standard deviation ``std``, smoothed by ``corr`` voxels first.

    Shape:
        Returns ``shape``, float32.
    """
    noise = rng.standard_normal(shape).astype(np.float32)
    if corr > 0:
        noise = ndimage.gaussian_filter(noise, corr)
    return noise * np.float32(std / max(float(noise.std()), 1e-8))


def randomise_ct(
    image: np.ndarray,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    rng: np.random.Generator,
    config: CTRandomisationConfig,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One randomised version of a CT volume in HU (see the module).

    Args:
        image: The cached volume, in HU.
        roi: Its organ mask (the contrast phase is centred on the organ's median).
        spacing: Voxel size in mm.
        rng: Source of every draw.
        config: What to apply.

    Returns:
        The new volume (HU) and the parameters drawn (only the parts applied).

    Shape:
        ``image``, ``roi``: (X, Y, Z); the result is the same shape, float32.
    """
    out = np.asarray(image, dtype=np.float32)
    params: dict[str, Any] = {}
    draws = {part: rng.random() for part in CT_PARTS}  # one draw per part, on or off
    on = {
        part: getattr(config, part) and draws[part] < getattr(config, f"p_{part}")
        for part in CT_PARTS
    }
    if on["phase"]:
        target = float(rng.uniform(*config.phase_organ_hu_range))
        low, high = config.phase_scale_range
        scale = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        inside = np.asarray(roi, dtype=bool)
        offset = target - (float(np.median(out[inside])) if inside.any() else 0.0)
        out = contrast_phase(out, roi, offset, scale, config)
        params["phase"] = {"organ_hu": target, "offset_hu": offset, "scale": scale}
    if config.vessels and rng.random() < config.p_vessels:
        from medssl.methods.ld.ct_vessels import paint_vessels

        low, high = config.vessel_count_range
        out, params["vessels"] = paint_vessels(
            out, roi, spacing, rng, count_range=(int(low), int(high)),
            radius_mm_range=config.vessel_radius_mm_range,
            enhancement_range=config.vessel_enhancement_range,
        )  # fmt: skip
    if on["blur"]:
        sigma_mm = float(rng.uniform(*config.blur_sigma_mm_range))
        out = ndimage.gaussian_filter(out, [sigma_mm / s for s in spacing])
        params["blur"] = {"sigma_mm": sigma_mm}
    if on["thick_slices"]:
        factor = float(rng.uniform(*config.thick_factor_range))
        out = thick_slices(out, 2, factor)
        params["thick_slices"] = {"axis": 2, "factor": factor}
    if on["noise"]:
        std = float(rng.uniform(*config.noise_std_hu_range))
        out = out + ct_noise(out.shape, rng, std, config.noise_corr_voxels)
        params["noise"] = {"std_hu": std}
    return np.asarray(out, dtype=np.float32), params


def randomisation_config(
    options: bool | dict[str, Any] | None, *, modality: str, preset: str
) -> Any:
    """The randomisation config of a preset's modality: MRI or CT (``None`` when off).

    Raises:
        MedsslError: Bad options, or an MRI-only field for a CT preset.
    """
    if modality == "CT":
        return CTRandomisationConfig.from_options(options, preset=preset)
    from medssl.methods.ld.randomise import RandomisationConfig

    return RandomisationConfig.from_options(options)
