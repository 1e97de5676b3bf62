"""Domain randomisation of brain volumes in the layer-decomposition data stream.

A zero-shot model meets scans from scanners it never saw: uncorrected bias fields,
other contrasts, noise, thick 2-D slices, raw scanner units. Each training item can
get such a scan's look: the normal volume, the texture donor, or both
(``apply_to``), before the tumour is synthesised. With ``after_synthesis``, the normal
volume's look is given after the tumour is pasted instead, to the whole scan with its
tumour (one draw for the input, its normal layer and its tumour layer), so that the
tumour is blurred, thick-sliced and bias-modulated with the brain around it, as in a
real acquisition. Every part is switched on and off by its own field (for ablation)
and applied with its own probability ``p_*``.

The cached volume is normalised (0 outside the brain). It is first brought back to a
positive signal (in-brain 0.5th..99.5th percentile → 0..1), then, in this order:

1. ``bias_field``: ``s · exp(b)``, ``b`` a smooth random field: a ``bias_points³``
   grid of normal coefficients interpolated by cubic splines over the volume, scaled
   to a largest magnitude drawn from ``bias_range`` (like MONAI ``RandBiasField``,
   whose polynomial field gives similar low-frequency shapes).
2. ``gamma``: ``s ** γ``, ``log γ`` uniform in ``log gamma_range``; then a contrast
   change ``m + c · (s − m)`` around the in-brain median ``m`` (``contrast_range``),
   clipped at 0 (like MONAI ``RandAdjustContrast`` / ``RandScaleIntensity``).
3. ``blur``: Gaussian, sigma in mm from ``blur_sigma_mm_range``.
4. ``thick_slices``: one random axis is averaged over a slab (Gaussian profile of
   FWHM one thick slice), sampled every ``f`` voxels (``f`` uniform in
   ``thick_factor_range``) and linearly interpolated back: a 2-D acquisition
   with ``f``-times thicker slices.
5. ``noise``: Gaussian, standard deviation a fraction of the signal range
   (``noise_std_range``), inside the brain.
6. ``raw_units``: ``round(s · a + b)`` clipped at 0, ``a`` log-uniform in
   ``raw_scale_range`` and ``b`` a fraction ``raw_offset_range`` of ``a``: integer
   scanner units of any range, quantisation included.

Voxels outside the brain are set back to 0, and the volume is normalised again with
the preset's own intensity step (so the network sees what inference gives it). The
parameters drawn are returned for the record.

The parts are written with NumPy/SciPy rather than MONAI's random transforms so that
every draw comes from the one passed :class:`numpy.random.Generator` and can be
recorded; the operations are the same.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
from scipy import ndimage

from medssl.errors import MedsslError

PARTS = ("bias_field", "gamma", "blur", "thick_slices", "noise", "raw_units")
TARGETS = ("none", "normal", "donor", "both")


def check_common_fields(
    config: Any, *, extra_ranges: tuple[str, ...] = (), nonnegative: bool = True
) -> None:
    """The checks every randomisation config shares: ``apply_to``, ``p_*`` and ranges.

    Every ``*_range`` field (and each of ``extra_ranges``) must be ``(low, high)`` with
    low <= high, and low >= 0 when ``nonnegative``.

    Raises:
        MedsslError: The first field that breaks a rule, named.
    """
    if config.apply_to not in TARGETS:
        raise MedsslError(
            f"randomise.apply_to must be one of {', '.join(TARGETS)}; got '{config.apply_to}'"
        )
    if not isinstance(config.after_synthesis, bool):
        raise MedsslError(
            f"randomise.after_synthesis must be true or false; got {config.after_synthesis!r}"
        )
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name.startswith("p_") and not 0.0 <= float(value) <= 1.0:
            raise MedsslError(f"randomise.{f.name} must be in [0, 1]; got {value}")
        if not (f.name.endswith("_range") or f.name in extra_ranges):
            continue
        if len(value) != 2 or value[0] > value[1] or (nonnegative and value[0] < 0):
            rule = (
                "(low, high), 0 <= low <= high" if nonnegative else "(low, high) with low <= high"
            )
            raise MedsslError(f"randomise.{f.name} must be {rule}; got {value}")


def config_from_options(cls: type, options: Any, *, what: str) -> Any:
    """``None``/``False``: off; ``True``: ``cls()``; a mapping: ``cls`` with those fields.

    Raises:
        MedsslError: Not a bool or mapping, or unknown keys (the valid ones listed).
    """
    if options is None or options is False:
        return None
    if options is True:
        return cls()
    if not isinstance(options, dict):
        raise MedsslError(f"randomise must be true, false or a mapping; got {options!r}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise MedsslError(
            f"unknown {what} option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
        )
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})


@dataclass(frozen=True)
class RandomisationConfig:
    """Switches, probabilities and ranges of the domain randomisation (see the module)."""

    apply_to: str = "both"
    after_synthesis: bool = False
    bias_field: bool = True
    gamma: bool = True
    blur: bool = True
    thick_slices: bool = True
    noise: bool = True
    raw_units: bool = True
    p_bias_field: float = 0.8
    p_gamma: float = 0.8
    p_blur: float = 0.3
    p_thick_slices: float = 0.5
    p_noise: float = 0.5
    p_raw_units: float = 0.5
    bias_points: int = 4
    bias_range: tuple[float, float] = (0.1, 0.5)
    gamma_range: tuple[float, float] = (0.6, 1.6)
    contrast_range: tuple[float, float] = (0.75, 1.33)
    blur_sigma_mm_range: tuple[float, float] = (0.3, 1.5)
    thick_factor_range: tuple[float, float] = (2.0, 6.0)
    noise_std_range: tuple[float, float] = (0.005, 0.05)
    raw_scale_range: tuple[float, float] = (50.0, 4000.0)
    raw_offset_range: tuple[float, float] = (0.0, 0.2)

    def __post_init__(self) -> None:
        check_common_fields(self)
        if (
            self.gamma_range[0] <= 0
            or self.raw_scale_range[0] <= 0
            or self.thick_factor_range[0] < 1
        ):
            raise MedsslError(
                "randomise: gamma_range and raw_scale_range must be positive and "
                f"thick_factor_range >= 1; got {self.gamma_range}, {self.raw_scale_range}, "
                f"{self.thick_factor_range}"
            )
        if self.bias_points < 2:
            raise MedsslError(f"randomise.bias_points must be >= 2; got {self.bias_points}")

    @classmethod
    def from_options(cls, options: bool | dict[str, Any] | None) -> RandomisationConfig | None:
        """``None``/``False``: off; ``True``: defaults; a mapping: fields to override.

        Raises:
            MedsslError: Unknown keys (valid ones listed) or bad values.
        """
        return config_from_options(cls, options, what="randomise")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def targets(self) -> tuple[bool, bool]:
        """Whether the normal volume and the texture donor are randomised."""
        return self.apply_to in ("normal", "both"), self.apply_to in ("donor", "both")

    def parts(self) -> tuple[str, ...]:
        return PARTS


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _resize_axis(array: np.ndarray, axis: int, size: int) -> np.ndarray:
    """Linear interpolation of ``array`` along ``axis`` to ``size`` samples (ends aligned)."""
    n = array.shape[axis]
    if n == size:
        return array
    positions = np.linspace(0.0, n - 1.0, size)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, n - 1)
    weight = (positions - low).reshape([-1 if a == axis else 1 for a in range(array.ndim)])
    return np.take(array, low, axis=axis) * (1 - weight) + np.take(array, high, axis=axis) * weight


def bias_field(
    shape: tuple[int, ...], rng: np.random.Generator, points: int, magnitude: float
) -> np.ndarray:
    """A smooth multiplicative field ``exp(b)``, ``max |b| = magnitude``.

    Shape:
        Returns ``shape``, float32.
    """
    coarse = rng.normal(size=(points,) * 3)
    field = ndimage.zoom(coarse, [s / points for s in shape], order=3, mode="nearest")
    field = field[tuple(slice(0, s) for s in shape)]
    field = field - field.mean()
    field = field / max(float(np.abs(field).max()), 1e-6) * magnitude
    return np.exp(field).astype(np.float32)


def thick_slices(image: np.ndarray, axis: int, factor: float) -> np.ndarray:
    """Average over slabs ``factor`` voxels thick along ``axis``, sample, interpolate back.

    Shape:
        ``image``: (X, Y, Z); returns the same shape.
    """
    n = image.shape[axis]
    sigma = factor / 2.355  # FWHM of the slice profile = one thick slice
    smooth = ndimage.gaussian_filter1d(image, sigma, axis=axis, mode="nearest")
    coarse = _resize_axis(smooth, axis, max(2, round(n / factor)))
    return _resize_axis(coarse, axis, n).astype(np.float32)


def randomise(
    image: np.ndarray,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    rng: np.random.Generator,
    config: RandomisationConfig,
    normalise: Any,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One randomised version of a normalised volume, normalised again.

    Args:
        image: The cached, normalised volume (0 outside the brain).
        roi: Its brain mask.
        spacing: Voxel size in mm.
        rng: Source of every draw.
        config: What to apply.
        normalise: ``f(image, roi) -> image``, the preset's intensity step.

    Returns:
        The new volume and the parameters drawn (only the parts applied).

    Shape:
        ``image``, ``roi``: (X, Y, Z); the result is the same shape, float32.
    """
    roi = np.asarray(roi, dtype=bool)
    inside = image[roi]
    low, high = np.percentile(inside, [0.5, 99.5]) if inside.size else (0.0, 1.0)
    signal = np.clip((image - low) / max(high - low, 1e-6), 0.0, None).astype(np.float32)
    signal[~roi] = 0.0
    params: dict[str, Any] = {}
    draws = {part: rng.random() for part in PARTS}  # one draw per part, on or off
    on = {
        part: getattr(config, part) and draws[part] < getattr(config, f"p_{part}") for part in PARTS
    }
    if on["bias_field"]:
        magnitude = float(rng.uniform(*config.bias_range))
        signal *= bias_field(signal.shape, rng, config.bias_points, magnitude)
        params["bias_field"] = {"magnitude": magnitude}
    if on["gamma"]:
        gamma = _log_uniform(rng, *config.gamma_range)
        contrast = _log_uniform(rng, *config.contrast_range)
        signal = signal**gamma
        median = float(np.median(signal[roi])) if roi.any() else 0.0
        signal = np.clip(median + contrast * (signal - median), 0.0, None)
        params["gamma"] = {"gamma": gamma, "contrast": contrast}
    if on["blur"]:
        sigma_mm = float(rng.uniform(*config.blur_sigma_mm_range))
        signal = ndimage.gaussian_filter(signal, [sigma_mm / s for s in spacing])
        params["blur"] = {"sigma_mm": sigma_mm}
    if on["thick_slices"]:
        axis = int(rng.integers(3))
        factor = float(rng.uniform(*config.thick_factor_range))
        signal = thick_slices(signal, axis, factor)
        params["thick_slices"] = {"axis": axis, "factor": factor}
    if on["noise"]:
        std = float(rng.uniform(*config.noise_std_range))
        signal = np.clip(signal + rng.normal(0.0, std, signal.shape).astype(np.float32), 0.0, None)
        params["noise"] = {"std": std}
    if on["raw_units"]:
        scale = _log_uniform(rng, *config.raw_scale_range)
        offset = float(rng.uniform(*config.raw_offset_range)) * scale
        signal = np.clip(np.round(signal * scale + offset), 0.0, None)
        params["raw_units"] = {"scale": scale, "offset": offset}
    signal = np.where(roi, signal, 0.0).astype(np.float32)
    return np.asarray(normalise(signal, roi), dtype=np.float32), params
