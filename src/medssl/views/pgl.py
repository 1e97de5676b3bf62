"""Two augmented views of a sub-volume with their receipts, for BYOL and PGL.

Xie et al., "PGL: Prior-Guided Local Self-supervised Learning for 3D Medical Image
Segmentation", 2020. Each item holds two views of one volume:

1. the volume is z-scored (for CT, after the preprocessing clipped it to
   [-1024, 325] HU; z-scoring is unchanged by the linear map to [0, 1] that the
   preprocessing cache applies);
2. two boxes of 110-140 % of the input size, overlapping by at least 10 %, are cut
   and resized to the input (:mod:`medssl.views.receipts`), each flipped along each
   axis with p = 0.5;
3. each view then gets, independently: Gaussian noise (variance U(0, 0.1), p = 0.1),
   Gaussian blur (σ U(0.5, 1), p = 0.2), contrast ×U(0.75, 1.25) about the mean then
   clipped to the view's range (p = 0.5), and gamma U(0.7, 1.5) applied after
   rescaling to [0, 1] (p = 0.5), the result mapped back to the view's range as in
   MONAI's ``RandAdjustContrast`` so the two views stay on one intensity scale.

The paper's input is 16×96×96 (D×H×W); in medssl's (X, Y, Z) order, with Z the slice
axis, that is ``input_shape = (96, 96, 16)``. A volume smaller than the largest box is
padded at its high end with its minimum, so box coordinates stay volume coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from medssl.errors import MedsslError
from medssl.transforms._checks import check_probability, check_shape
from medssl.views.dataset import ViewDataset, VolumeLoader, VolumeSource, to_tensor
from medssl.views.receipts import ON_LOW_OVERLAP, apply_receipt, draw_view_pair


@dataclass(frozen=True)
class PglViewConfig:
    """How the two views are made (defaults: the paper's).

    Attributes:
        input_shape: Network input (X, Y, Z).
        scale_range: Crop size as a multiple of ``input_shape``.
        min_overlap: Least box intersection, as a fraction of the smaller box.
        max_draws: Draws of the second box before ``on_low_overlap`` applies.
        on_low_overlap: ``"centre"`` (fallback: centre the second box on the first)
            or ``"error"``.
        flip_p: Flip probability per axis and view.
        noise_p, noise_variance: Gaussian noise probability and variance range.
        blur_p, blur_sigma: Gaussian blur probability and σ range (voxels).
        contrast_p, contrast_range: Contrast probability and factor range.
        gamma_p, gamma_range: Gamma probability and exponent range.
        zscore: Z-score the whole volume before cutting the views.
    """

    input_shape: tuple[int, int, int] = (96, 96, 16)
    scale_range: tuple[float, float] = (1.1, 1.4)
    min_overlap: float = 0.1
    max_draws: int = 100
    on_low_overlap: str = "centre"
    flip_p: float = 0.5
    noise_p: float = 0.1
    noise_variance: tuple[float, float] = (0.0, 0.1)
    blur_p: float = 0.2
    blur_sigma: tuple[float, float] = (0.5, 1.0)
    contrast_p: float = 0.5
    contrast_range: tuple[float, float] = (0.75, 1.25)
    gamma_p: float = 0.5
    gamma_range: tuple[float, float] = (0.7, 1.5)
    zscore: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", check_shape(self.input_shape, name="input_shape"))
        for name in ("flip_p", "noise_p", "blur_p", "contrast_p", "gamma_p", "min_overlap"):
            check_probability(getattr(self, name), name=name)
        for name in (
            "scale_range",
            "noise_variance",
            "blur_sigma",
            "contrast_range",
            "gamma_range",
        ):
            low, high = (float(v) for v in getattr(self, name))
            if not 0 <= low <= high:
                raise MedsslError(
                    f"{name} must be (low, high) with 0 <= low <= high; got {(low, high)}"
                )
            object.__setattr__(self, name, (low, high))
        if self.scale_range[0] < 1.0:
            raise MedsslError(f"scale_range must start at 1 or more; got {self.scale_range}")
        if self.on_low_overlap not in ON_LOW_OVERLAP:
            raise MedsslError(
                f"on_low_overlap must be one of {', '.join(ON_LOW_OVERLAP)}; "
                f"got {self.on_low_overlap!r}"
            )
        if int(self.max_draws) < 1:
            raise MedsslError(f"max_draws must be >= 1; got {self.max_draws}")


def augment_intensity(
    view: np.ndarray, rng: np.random.Generator, config: PglViewConfig
) -> np.ndarray:
    """Noise, blur, contrast and gamma, each drawn with its probability.

    Shape:
        ``view``: (X, Y, Z); result the same.
    """
    c = config
    out = np.asarray(view, dtype=np.float32)
    if rng.random() < c.noise_p:
        std = np.sqrt(rng.uniform(*c.noise_variance))
        out = out + rng.normal(0.0, std, out.shape).astype(np.float32)
    if rng.random() < c.blur_p:
        out = ndimage.gaussian_filter(out, sigma=rng.uniform(*c.blur_sigma)).astype(np.float32)
    low, high = float(out.min()), float(out.max())
    if rng.random() < c.contrast_p:
        mean = float(out.mean())
        out = np.clip((out - mean) * rng.uniform(*c.contrast_range) + mean, low, high)
    if rng.random() < c.gamma_p and high > low:
        unit = (out - low) / (high - low)
        out = np.power(unit, rng.uniform(*c.gamma_range)) * (high - low) + low
    return out.astype(np.float32)


def zscore(volume: np.ndarray) -> np.ndarray:
    """``(volume - mean) / std`` over the whole volume (0 for a flat one)."""
    volume = np.asarray(volume, dtype=np.float32)
    std = float(volume.std())
    return (volume - volume.mean()) / std if std > 0 else np.zeros_like(volume)


class PglSample:
    """Make one item of two views and their receipts.

    Item keys: ``view1``, ``view2`` (1, X, Y, Z) float; ``box1``, ``box2`` (2, 3)
    float (crop start and size in volume voxels); ``flip1``, ``flip2`` (3,) bool.
    """

    def __init__(self, config: PglViewConfig) -> None:
        self.config = config

    def __call__(self, volume: np.ndarray, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        c = self.config
        if c.zscore:
            volume = zscore(volume)
        largest = [int(np.ceil(c.scale_range[1] * n)) for n in c.input_shape]
        pad = [(0, max(0, m - s)) for m, s in zip(largest, volume.shape)]
        if any(p for _, p in pad):
            volume = np.pad(volume, pad, constant_values=float(volume.min()))
        receipts = draw_view_pair(
            rng,
            volume.shape,
            c.input_shape,
            scale_range=c.scale_range,
            min_overlap=c.min_overlap,
            max_draws=int(c.max_draws),
            on_low_overlap=c.on_low_overlap,
            flip_p=c.flip_p,
        )
        item: dict[str, torch.Tensor] = {}
        for k, receipt in enumerate(receipts, start=1):
            view = augment_intensity(apply_receipt(volume, receipt, c.input_shape), rng, c)
            item[f"view{k}"] = to_tensor(view)
            item[f"box{k}"] = torch.from_numpy(receipt.box())
            item[f"flip{k}"] = torch.tensor(receipt.flips, dtype=torch.bool)
        return item


def make_pgl_dataset(
    volumes: Sequence[np.ndarray] | VolumeLoader,
    *,
    seed: int,
    length: int,
    config: PglViewConfig | None = None,
    modalities: Sequence[str] | str | None = None,
    n_volumes: int | None = None,
) -> ViewDataset:
    """A dataset of view pairs with receipts (BYOL and PGL).

    Args:
        volumes: Preprocessed volumes, or a loader ``loader(index)``.
        seed: Non-negative run seed; item ``i`` is re-made from ``(seed, i)``.
        length: Number of items.
        config: The views' settings; the paper's when None.
        modalities: "ct"/"mr" per volume (or one for all), added as ``"modality"``.
        n_volumes: Number of volumes; required when ``volumes`` is a loader.

    Returns:
        A :class:`~medssl.views.dataset.ViewDataset` of :class:`PglSample` items.

    Raises:
        MedsslError: Bad volumes, seed, length or config; with ``on_low_overlap="error"``,
            views that do not overlap enough (when the item is made).
    """
    source = VolumeSource(volumes, n_volumes=n_volumes, modalities=modalities)
    return ViewDataset(source, PglSample(config or PglViewConfig()), seed=seed, length=length)
