"""Configuration of tumour synthesis, with a preset per organ.

Defaults and where they come from (Zhang et al., "Self-supervised Tumor Segmentation
through Layer Decomposition", and its public code):

Brain (:func:`brain`), for z-scored FLAIR (mean 0 in the brain, constant outside):
    - volume 7,000–200,000 mm³, **uniform** in volume as in the public code. It matches
      whole-tumour volumes of BraTS (tens to a few hundred cm³) better than a
      log-uniform draw, which would favour small tumours the FLAIR task rarely has.
    - axis ratio 0.8–1, octaves 4–7, noise amplitude 0.5 at frequency 1 on the unit
      sphere (the public code's ``scale=0.5`` multiplies the noise, i.e. it is the
      radial amplitude, not a frequency).
    - ``r`` in (1, 3) as in the paper, applied to the raw signal: ``intensity_floor =
      None`` measures each image from its own minimum, which in a z-scored MRI is the
      z-score of zero signal (the constant background of the ``brats_dev`` scans,
      -3.2 and -5.3). The tumour then sits ``(r - 1)·|floor|`` above the brain mean.
    - ``alpha`` in [0.5, 1]: with r's median 2 and floors of -3 to -5, the median
      contrast is 2.3–4 z, in the range of the real whole tumours' mean FLAIR
      z-score in ``brats_dev`` (0.8–3.4). The public code uses [0.2, 0.8], which
      makes many faint tumours.
    - blur 0.5–2 mm (the public code's TorchIO blur draws 0–2 mm), elastic
      deformation with 5³ control points and up to 5 mm displacement over the tumour
      box (the public code: 7³ points, 7.5 mm over the whole head).

Liver (:func:`liver`), for CT in Hounsfield units:
    - 1–15 tumours, diameters 5–40 mm (volumes 65–33,510 mm³) drawn **log-uniform** in
      volume, since small lesions are the more frequent ones.
    - ``r`` in (1/8, 1/2) as in the paper with ``intensity_floor = 0`` (water): a liver
      at 60 HU gives lesions of 8–30 HU before blending, i.e. hypo-dense.
    - ``alpha`` in [0.5, 1]; elastic up to 3 mm (lesions are small).
    - Optional, as in the paper: tumour radii ``radius_fraction_range`` = (1/8, 1/2)
      of the organ's radius (that of a sphere of the organ's volume) in place of
      ``volume_range_mm3``.
    - Optional (``density_variants``): iso- and hyper-dense lesions besides the
      hypo-dense ones, ``r`` drawn per sample from ``intensity_ratio_range`` (hypo),
      ``iso_ratio_range`` or ``hyper_ratio_range`` with ``density_weights``.

Mask edges are hard by default (``edge_sigma_mm = 0``) so that ``x = (1 - αm)x_n + αm s``
holds exactly with the binary mask; a positive value blends with a Gaussian-smoothed
mask instead (returned as ``TumourSample.blend``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from medssl.errors import MedsslError


@dataclass(frozen=True)
class SynthesisConfig:
    """Options of :func:`medssl.synthesis.sample_params`; see the module for defaults.

    Attributes:
        name: Preset name, for logs.
        count_range: Closed range of the number of tumours per sample.
        volume_range_mm3: Range of each tumour's volume.
        volume_sampling: ``"uniform"`` or ``"log-uniform"`` in volume.
        axis_ratio_range: Range of ``q``; semi-axes before noise are ``∝ (q, 1, 1/q)``.
        octaves_range: Closed range of noise octaves.
        noise_amplitude: Radial displacement for noise 1, as a fraction of the radius.
        noise_frequency: Frequency of the first noise octave on the unit sphere.
        subdivisions: Icosphere subdivision level (3 or 4 are sensible).
        min_inside_fraction: Least fraction of a tumour's voxels inside the ROI.
        max_tries: Draws per tumour before giving up on it.
        elastic: Apply the elastic deformation (ED) to the texture.
        blur: Apply the Gaussian blur (GB) to the texture.
        intensity: Apply the linear intensity transform (LT) to the texture.
        elastic_control_points: Control points per axis over the tumour box.
        elastic_max_displacement_mm: Largest control-point displacement.
        blur_sigma_mm_range: Range of the blur's standard deviation.
        intensity_ratio_range: Range of ``r`` (tumour mean / organ mean).
        intensity_floor: Intensity that LT measures as zero in both images; None:
            each image's minimum (z-scored MRI).
        alpha_range: Range of the blending opacity, within [0, 1].
        edge_sigma_mm: Gaussian softening of the mask before blending (0: none).
        radius_fraction_range: Range of each tumour's radius (of the sphere of its
            volume) as a fraction of the organ's (of the sphere of the organ's
            volume); when set it replaces ``volume_range_mm3``, still sampled as
            ``volume_sampling`` says. ``None``: absolute volumes.
        density_variants: Draw each sample's ``r`` from one of three ranges
            (hypo-, iso-, hyper-dense) instead of ``intensity_ratio_range`` alone.
        density_weights: Probabilities (up to a common factor) of the hypo-, iso-
            and hyper-dense ranges.
        iso_ratio_range: Range of ``r`` of iso-dense tumours.
        hyper_ratio_range: Range of ``r`` of hyper-dense tumours.
    """

    name: str = "brain"
    count_range: tuple[int, int] = (1, 1)
    volume_range_mm3: tuple[float, float] = (7_000.0, 200_000.0)
    volume_sampling: Literal["uniform", "log-uniform"] = "uniform"
    axis_ratio_range: tuple[float, float] = (0.8, 1.0)
    octaves_range: tuple[int, int] = (4, 7)
    noise_amplitude: float = 0.5
    noise_frequency: float = 1.0
    subdivisions: int = 4
    min_inside_fraction: float = 0.8
    max_tries: int = 30
    elastic: bool = True
    blur: bool = True
    intensity: bool = True
    elastic_control_points: int = 5
    elastic_max_displacement_mm: float = 5.0
    blur_sigma_mm_range: tuple[float, float] = (0.5, 2.0)
    intensity_ratio_range: tuple[float, float] = (1.0, 3.0)
    intensity_floor: float | None = None
    alpha_range: tuple[float, float] = (0.5, 1.0)
    edge_sigma_mm: float = 0.0
    radius_fraction_range: tuple[float, float] | None = None
    density_variants: bool = False
    density_weights: tuple[float, float, float] = (0.6, 0.2, 0.2)
    iso_ratio_range: tuple[float, float] = (0.9, 1.1)
    hyper_ratio_range: tuple[float, float] = (1.2, 2.0)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if "_range" in f.name and (len(value) != 2 or value[0] > value[1]):
                raise MedsslError(f"{f.name} must be (low, high) with low <= high; got {value}")
        checks = [
            (self.count_range[0] >= 1, "count_range must start at 1 or more", self.count_range),
            (self.volume_range_mm3[0] > 0, "volume_range_mm3 must be positive", self.volume_range_mm3),
            (self.volume_sampling in ("uniform", "log-uniform"),
             "volume_sampling must be 'uniform' or 'log-uniform'", self.volume_sampling),
            (0 < self.axis_ratio_range[0] and self.axis_ratio_range[1] <= 1,
             "axis_ratio_range must lie in (0, 1]", self.axis_ratio_range),
            (self.octaves_range[0] >= 1, "octaves_range must start at 1 or more", self.octaves_range),
            (0 <= self.noise_amplitude < 0.9, "noise_amplitude must be in [0, 0.9)", self.noise_amplitude),
            (self.noise_frequency > 0, "noise_frequency must be positive", self.noise_frequency),
            (0 <= self.subdivisions <= 6, "subdivisions must be in 0-6", self.subdivisions),
            (0 < self.min_inside_fraction <= 1, "min_inside_fraction must be in (0, 1]",
             self.min_inside_fraction),
            (self.max_tries >= 1, "max_tries must be at least 1", self.max_tries),
            (self.elastic_control_points >= 2, "elastic_control_points must be at least 2",
             self.elastic_control_points),
            (self.elastic_max_displacement_mm >= 0, "elastic_max_displacement_mm must be >= 0",
             self.elastic_max_displacement_mm),
            (self.blur_sigma_mm_range[0] >= 0, "blur_sigma_mm_range must be >= 0",
             self.blur_sigma_mm_range),
            (self.intensity_ratio_range[0] > 0, "intensity_ratio_range must be positive",
             self.intensity_ratio_range),
            (0 <= self.alpha_range[0] and self.alpha_range[1] <= 1,
             "alpha_range must lie in [0, 1]", self.alpha_range),
            (self.edge_sigma_mm >= 0, "edge_sigma_mm must be >= 0", self.edge_sigma_mm),
            (self.radius_fraction_range is None or (0 < self.radius_fraction_range[0]
             and self.radius_fraction_range[1] <= 1),
             "radius_fraction_range must lie in (0, 1]", self.radius_fraction_range),
            (len(self.density_weights) == 3 and min(self.density_weights) >= 0
             and sum(self.density_weights) > 0,
             "density_weights must be 3 values >= 0 (hypo, iso, hyper) with a positive sum",
             self.density_weights),
            (self.iso_ratio_range[0] > 0 and self.hyper_ratio_range[0] > 0,
             "iso_ratio_range and hyper_ratio_range must be positive",
             (self.iso_ratio_range, self.hyper_ratio_range)),
        ]  # fmt: skip
        for ok, rule, value in checks:
            if not ok:
                raise MedsslError(f"{rule}; got {value}")


def brain(**overrides: object) -> SynthesisConfig:
    """Preset for one tumour in a z-scored brain FLAIR; keyword arguments override fields."""
    return SynthesisConfig(**{"name": "brain", **overrides})  # type: ignore[arg-type]


def liver(**overrides: object) -> SynthesisConfig:
    """Preset for 1–15 hypo-dense lesions in a liver CT (HU); keywords override fields.

    ``radius_fraction_range=(0.125, 0.5)`` gives the paper's organ-relative radii and
    ``density_variants=True`` adds iso- and hyper-dense lesions.
    """
    values: dict[str, object] = {
        "name": "liver",
        "count_range": (1, 15),
        "volume_range_mm3": (65.0, 33_510.0),
        "volume_sampling": "log-uniform",
        "min_inside_fraction": 0.9,
        "elastic_max_displacement_mm": 3.0,
        "intensity_ratio_range": (0.125, 0.5),
        "intensity_floor": 0.0,
        "alpha_range": (0.5, 1.0),
    }
    return SynthesisConfig(**{**values, **overrides})  # type: ignore[arg-type]


PRESETS = {"brain": brain, "liver": liver}


def preset(name: str, **overrides: object) -> SynthesisConfig:
    """The named preset (``"brain"`` or ``"liver"``) with overrides.

    Raises:
        MedsslError: For an unknown name; the message lists the valid ones.
    """
    if name not in PRESETS:
        raise MedsslError(f"unknown synthesis preset '{name}'; valid: {', '.join(sorted(PRESETS))}")
    return PRESETS[name](**overrides)
