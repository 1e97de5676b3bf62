"""nnU-Net-style data augmentation for fine-tuning, built from MONAI transforms.

The probabilities and ranges follow nnU-Net's defaults (Isensee et al., Nature Methods
2021): rotation ±30° and scaling 0.7–1.4 (one resampling, p=0.2 each), Gaussian noise
(p=0.1), Gaussian blur (p=0.2), brightness (multiplicative, p=0.15), contrast (p=0.15),
gamma (p=0.3) and mirroring along each axis (p=0.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class AugmentConfig:
    """Switches and strengths of the fine-tuning augmentation."""

    enabled: bool = True
    rotate_deg: float = 30.0
    p_rotate: float = 0.2
    scale_range: tuple[float, float] = (0.7, 1.4)
    p_scale: float = 0.2
    p_noise: float = 0.1
    noise_std: float = 0.1
    p_blur: float = 0.2
    blur_sigma: tuple[float, float] = (0.5, 1.0)
    p_brightness: float = 0.15
    brightness: float = 0.25
    p_contrast: float = 0.15
    contrast: float = 0.25
    p_gamma: float = 0.3
    gamma: tuple[float, float] = (0.7, 1.5)
    p_mirror: float = 0.5


def build_augmentation(cfg: AugmentConfig):
    """MONAI ``Compose`` over dict samples ``{"image": (C,X,Y,Z), "label": (1,X,Y,Z)}``.

    Spatial transforms use linear interpolation for the image and nearest for the label.
    Call ``set_random_state(seed)`` on the result to make a sample reproducible.
    """
    from monai.transforms import (
        Compose,
        RandAdjustContrastd,
        RandAffined,
        RandFlipd,
        RandGaussianNoised,
        RandGaussianSmoothd,
        RandScaleIntensityd,
        RandScaleIntensityFixedMeand,
    )

    keys = ["image", "label"]
    if not cfg.enabled:
        return Compose([])
    angle = math.radians(cfg.rotate_deg)
    lo, hi = cfg.scale_range
    # RandAffine's scale_range is added to 1: zoom factor in (1+lo', 1+hi').
    p_affine = 1.0 - (1.0 - cfg.p_rotate) * (1.0 - cfg.p_scale)
    transforms = [
        RandAffined(
            keys=keys,
            prob=p_affine,
            rotate_range=(angle, angle, angle),
            scale_range=(lo - 1.0, hi - 1.0),
            mode=("bilinear", "nearest"),
            padding_mode="zeros",
        ),
        RandGaussianNoised(keys="image", prob=cfg.p_noise, std=cfg.noise_std),
        RandGaussianSmoothd(
            keys="image",
            prob=cfg.p_blur,
            sigma_x=cfg.blur_sigma,
            sigma_y=cfg.blur_sigma,
            sigma_z=cfg.blur_sigma,
        ),
        RandScaleIntensityd(keys="image", prob=cfg.p_brightness, factors=cfg.brightness),
        RandScaleIntensityFixedMeand(keys="image", prob=cfg.p_contrast, factors=cfg.contrast),
        RandAdjustContrastd(keys="image", prob=cfg.p_gamma, gamma=cfg.gamma),
    ]
    transforms += [RandFlipd(keys=keys, prob=cfg.p_mirror, spatial_axis=a) for a in range(3)]
    return Compose(transforms)
