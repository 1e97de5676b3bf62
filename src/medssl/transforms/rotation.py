"""3D rotation prediction (Taleb et al. 2020).

Taleb et al., "3D Self-Supervised Methods for Medical Imaging", NeurIPS 2020,
section 3: a cube is rotated by one of 10 rotations, the identity and 90°, 180° and
270° about each of the three axes, and the network predicts which one.

Classes: 0 is the identity; 1, 2, 3 turn 90°, 180°, 270° about axis 0 (in the plane
of axes 1 and 2); 4, 5, 6 about axis 1 (plane 2, 0); 7, 8, 9 about axis 2 (plane 0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.transforms._checks import as_volume

#: For each class, ``(quarter turns, (axis_a, axis_b))`` for :func:`numpy.rot90`.
ROTATIONS: tuple[tuple[int, tuple[int, int]], ...] = (
    (0, (0, 1)),
    (1, (1, 2)),
    (2, (1, 2)),
    (3, (1, 2)),
    (1, (2, 0)),
    (2, (2, 0)),
    (3, (2, 0)),
    (1, (0, 1)),
    (2, (0, 1)),
    (3, (0, 1)),
)
N_ROTATIONS = len(ROTATIONS)


@dataclass(frozen=True)
class RotationParams:
    """The drawn rotation.

    Attributes:
        label: Index into :data:`ROTATIONS`: the class to predict.
    """

    label: int


def _check_label(label: int) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise MedsslError(
            f"rotation label must be an integer in 0..{N_ROTATIONS - 1}; got {label!r}"
        )
    if not 0 <= label < N_ROTATIONS:
        raise MedsslError(f"rotation label must be in 0..{N_ROTATIONS - 1}; got {label}")
    return int(label)


def rotate(volume: np.ndarray, params: RotationParams) -> np.ndarray:
    """Rotate ``volume`` by the rotation of class ``params.label``.

    Raises:
        MedsslError: If the label is out of range, or a quarter turn is asked in a plane
            whose two sides differ (the shape would change).

    Shape:
        (X, Y, Z) → (X, Y, Z).
    """
    array = as_volume(volume)
    turns, axes = ROTATIONS[_check_label(params.label)]
    if turns % 2 == 1 and array.shape[axes[0]] != array.shape[axes[1]]:
        raise MedsslError(
            f"a 90° rotation in the plane of axes {axes} needs equal sides there; "
            f"got shape {array.shape}"
        )
    return np.ascontiguousarray(np.rot90(array, k=turns, axes=axes))


def unrotate(volume: np.ndarray, params: RotationParams) -> np.ndarray:
    """Undo :func:`rotate`: ``unrotate(rotate(v, p), p)`` equals ``v``.

    Shape:
        (X, Y, Z) → (X, Y, Z).
    """
    array = as_volume(volume)
    turns, axes = ROTATIONS[_check_label(params.label)]
    return np.ascontiguousarray(np.rot90(array, k=-turns, axes=axes))


def draw_rotation(rng: np.random.Generator) -> RotationParams:
    """Draw one of the 10 rotations uniformly."""
    return RotationParams(int(rng.integers(0, N_ROTATIONS)))


class RandomRotation:
    """Rotate a cube by a uniformly drawn class of :data:`ROTATIONS`."""

    def draw(self, rng: np.random.Generator) -> RotationParams:
        """Draw the rotation."""
        return draw_rotation(rng)

    def __call__(
        self, volume: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, RotationParams]:
        """Draw and apply; return the rotated cube and its parameters."""
        params = self.draw(rng)
        return rotate(volume, params), params
