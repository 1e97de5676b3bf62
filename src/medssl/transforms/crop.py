"""Boxes inside a volume: draw one at random, cut it out, pad a volume that is too small.

Every view maker starts here: Models Genesis cuts 64×64×32 sub-volumes, SAR cuts cubes
of a fraction of the volume's side, and the Taleb et al. baselines cut a cube that is
then rotated, or split into a grid. :func:`draw_box` holds the randomness and
:func:`crop` applies it, so a crop is reproducible from its :class:`Box`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.transforms._checks import check_shape


@dataclass(frozen=True)
class Box:
    """An axis-aligned box: where it starts and how big it is, in voxels.

    Attributes:
        start: First voxel on each axis.
        size: Number of voxels on each axis.
    """

    start: tuple[int, int, int]
    size: tuple[int, int, int]

    @property
    def stop(self) -> tuple[int, int, int]:
        """One past the last voxel on each axis."""
        return tuple(a + s for a, s in zip(self.start, self.size))  # type: ignore[return-value]

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        """The box as a tuple of slices, for indexing a (X, Y, Z) array."""
        return tuple(slice(a, a + s) for a, s in zip(self.start, self.size))  # type: ignore[return-value]


def draw_box(rng: np.random.Generator, volume_shape: Sequence[int], size: Sequence[int]) -> Box:
    """Draw a box of ``size`` uniformly among all positions inside ``volume_shape``.

    Args:
        rng: The source of randomness.
        volume_shape: Shape (X, Y, Z) of the volume.
        size: Size of the box on each axis; must fit inside the volume.

    Returns:
        The drawn :class:`Box`.

    Raises:
        MedsslError: If the box is larger than the volume on some axis.
    """
    shape = check_shape(volume_shape, name="volume shape")
    box_size = check_shape(size, name="box size")
    for axis, (dim, side) in enumerate(zip(shape, box_size)):
        if side > dim:
            raise MedsslError(
                f"box size {box_size} does not fit in volume shape {shape} on axis {axis}"
            )
    start = tuple(
        int(rng.integers(0, dim - side, endpoint=True)) for dim, side in zip(shape, box_size)
    )
    return Box(start, box_size)  # type: ignore[arg-type]


def crop(volume: np.ndarray, box: Box) -> np.ndarray:
    """Cut ``box`` out of ``volume`` (a view, not a copy).

    Raises:
        MedsslError: If the box reaches outside the volume.

    Shape:
        (X, Y, Z) → ``box.size``.
    """
    for axis, (a, b, dim) in enumerate(zip(box.start, box.stop, volume.shape)):
        if a < 0 or b > dim:
            raise MedsslError(
                f"box {box} reaches outside volume shape {volume.shape} on axis {axis}"
            )
    return volume[box.slices]


def fit_volume(
    volume: np.ndarray,
    min_shape: Sequence[int],
    *,
    pad: bool,
    pad_value: float = 0.0,
    name: str = "volume",
) -> np.ndarray:
    """Make sure ``volume`` is at least ``min_shape``, padding it or raising.

    Padding is split evenly on both sides of each short axis (the extra voxel, if
    any, goes after), with the constant ``pad_value``.

    Args:
        volume: A (X, Y, Z) array.
        min_shape: The smallest acceptable shape.
        pad: Pad a short volume; when False a short volume is an error.
        pad_value: Value of the padded voxels.
        name: What to call the volume in an error message.

    Returns:
        ``volume`` itself when it is large enough, else a padded copy.

    Raises:
        MedsslError: If the volume is smaller than ``min_shape`` and ``pad`` is False.
    """
    need = check_shape(min_shape, name="minimum shape")
    short = [axis for axis, (dim, m) in enumerate(zip(volume.shape, need)) if dim < m]
    if not short:
        return volume
    if not pad:
        raise MedsslError(
            f"{name} shape {tuple(volume.shape)} is smaller than the cube size {need} "
            f"on axis {short[0]}; pad it or enable padding (pad=True)"
        )
    widths = []
    for dim, m in zip(volume.shape, need):
        extra = max(0, m - dim)
        widths.append((extra // 2, extra - extra // 2))
    return np.pad(volume, widths, mode="constant", constant_values=pad_value)
