"""Multi-scale cubes with their scale class (SAR).

Zhang et al., "SAR: Scale-Aware Restoration Learning for 3D Tumor Segmentation"
(MICCAI 2021). Cubes are cut at several scales, about 1/2, 1/4 and 1/8 of the volume's
side on each axis, in the ratio 1:1:2, and resized to the network's input
(64×64×32). Each cube is labelled with its scale class (0, 1, 2 in the order of
``scales``), which a scale-classification head predicts while the network restores
the cube. A set of one scale gives the single-scale ablations.

A volume smaller than ``out_shape`` is an error, unless ``pad`` is on: then it is
padded (evenly on both sides) to ``out_shape`` before the cube is drawn, and the
drawn box lies in the padded volume's coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from medssl.errors import MedsslError
from medssl.transforms._checks import as_volume, check_shape
from medssl.transforms.crop import Box, crop, draw_box, fit_volume


@dataclass(frozen=True)
class ScaleCubeConfig:
    """The scales and the output size.

    Attributes:
        scales: Cube side as a fraction of the volume's side, one per class.
        probs: Probability of each scale (the paper's 1:1:2 ratio by default).
        out_shape: Shape every cube is resized to.
        pad: Pad a volume smaller than ``out_shape`` instead of raising.
        pad_value: Value of padded voxels.
    """

    scales: tuple[float, ...] = (1 / 2, 1 / 4, 1 / 8)
    probs: tuple[float, ...] = (0.25, 0.25, 0.5)
    out_shape: tuple[int, int, int] = (64, 64, 32)
    pad: bool = False
    pad_value: float = 0.0

    def __post_init__(self) -> None:
        if len(self.scales) == 0 or len(self.scales) != len(self.probs):
            raise MedsslError(
                f"scales and probs must be non-empty and of equal length; "
                f"got {len(self.scales)} scales and {len(self.probs)} probs"
            )
        for scale in self.scales:
            if not 0.0 < float(scale) <= 1.0:
                raise MedsslError(f"each scale must be in (0, 1]; got {scale!r}")
        if min(self.probs) < 0 or not math.isclose(sum(self.probs), 1.0, abs_tol=1e-6):
            raise MedsslError(f"probs must be >= 0 and sum to 1; got {tuple(self.probs)}")
        check_shape(self.out_shape, name="out_shape")


@dataclass(frozen=True)
class ScaleCubeParams:
    """The drawn cube.

    Attributes:
        scale_class: Index of the scale in ``config.scales``: the label to predict.
        box: Where the cube lies in the (padded, if padding was needed) volume.
    """

    scale_class: int
    box: Box


def cube_size(volume_shape: Sequence[int], scale: float) -> tuple[int, int, int]:
    """Side of a cube at ``scale`` on each axis: ``round(scale * side)``, at least 1."""
    return tuple(max(1, min(int(d), round(scale * int(d)))) for d in volume_shape)  # type: ignore[return-value]


def padded_shape(volume_shape: Sequence[int], config: ScaleCubeConfig) -> tuple[int, int, int]:
    """Shape of the volume cubes are cut from: padded up to ``out_shape`` if allowed.

    Raises:
        MedsslError: If the volume is smaller than ``out_shape`` and padding is off.
    """
    shape = check_shape(volume_shape, name="volume shape")
    for axis, (dim, need) in enumerate(zip(shape, config.out_shape)):
        if dim < need and not config.pad:
            raise MedsslError(
                f"volume shape {shape} is smaller than the cube size {tuple(config.out_shape)} "
                f"on axis {axis}; pad it or enable padding (pad=True)"
            )
    return tuple(max(d, n) for d, n in zip(shape, config.out_shape))  # type: ignore[return-value]


def draw_scale_cube(
    rng: np.random.Generator, volume_shape: Sequence[int], config: ScaleCubeConfig
) -> ScaleCubeParams:
    """Draw a scale class (with ``config.probs``) and a cube position.

    Args:
        rng: The source of randomness.
        volume_shape: Shape (X, Y, Z) of the volume.
        config: The scales.

    Returns:
        The drawn :class:`ScaleCubeParams`.

    Raises:
        MedsslError: If the volume is smaller than ``out_shape`` and padding is off.
    """
    shape = padded_shape(volume_shape, config)
    scale_class = int(rng.choice(len(config.scales), p=np.asarray(config.probs, dtype=float)))
    box = draw_box(rng, shape, cube_size(shape, config.scales[scale_class]))
    return ScaleCubeParams(scale_class, box)


def cut_scale_cube(
    volume: np.ndarray, params: ScaleCubeParams, config: ScaleCubeConfig
) -> np.ndarray:
    """Cut the drawn cube and resize it (trilinear) to ``config.out_shape``.

    Args:
        volume: The volume.
        params: From :func:`draw_scale_cube` with the same config.
        config: The scales and output size.

    Returns:
        A new float32 array.

    Raises:
        MedsslError: If the volume is too small (padding off) or the box does not fit.

    Shape:
        (X, Y, Z) → ``config.out_shape``.
    """
    array = fit_volume(
        as_volume(volume), config.out_shape, pad=config.pad, pad_value=config.pad_value
    )
    return resize(crop(array, params.box), config.out_shape)


def resize(volume: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Trilinear resize (``align_corners=False``); a copy when the shape already matches.

    Shape:
        (X, Y, Z) → ``shape``.
    """
    out_shape = check_shape(shape, name="shape")
    if tuple(volume.shape) == out_shape:
        return np.array(volume, dtype=np.float32)
    tensor = torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))[None, None]
    out = F.interpolate(tensor, size=out_shape, mode="trilinear", align_corners=False)
    return out[0, 0].numpy()


class RandomScaleCube:
    """Draw and cut multi-scale cubes.

    Args:
        config: The scales; the paper's 1/2, 1/4, 1/8 at 1:1:2 and 64×64×32 when None.

    Example:
        >>> cubes = RandomScaleCube()
        >>> rng = np.random.default_rng(0)
        >>> cube, params = cubes(rng.random((128, 128, 64)), rng)
        >>> cube.shape, params.scale_class in (0, 1, 2)
        ((64, 64, 32), True)
    """

    def __init__(self, config: ScaleCubeConfig | None = None) -> None:
        self.config = config or ScaleCubeConfig()

    def draw(self, rng: np.random.Generator, shape: Sequence[int]) -> ScaleCubeParams:
        """Draw the cube for a volume of ``shape``."""
        return draw_scale_cube(rng, shape, self.config)

    def __call__(
        self, volume: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, ScaleCubeParams]:
        """Draw and cut; return the resized cube and its parameters."""
        array = as_volume(volume)
        params = self.draw(rng, array.shape)
        return cut_scale_cube(array, params, self.config), params
