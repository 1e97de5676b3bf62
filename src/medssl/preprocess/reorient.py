"""Reorient to the canonical RAS+ voxel order (axis flips and swaps only).

The voxel axes are permuted and flipped so that they point as close as possible to
Right, Anterior and Superior (nibabel's ``io_orientation``). No voxel value is
interpolated, so the inverse is exact. An oblique image stays oblique: its axes are
only put in the nearest RAS order, and the affine carries the remaining rotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nibabel as nib
import numpy as np

from medssl.preprocess._grid import affine_to_list
from medssl.preprocess.step import State, Step, per_channel, register_step

_RAS = nib.orientations.axcodes2ornt(("R", "A", "S"))


@register_step
@dataclass(frozen=True)
class Reorient(Step):
    """Permute and flip voxel axes to RAS+ order.

    Records the orientation transform and the input shape; :meth:`invert` applies the
    reverse transform, giving back the input's exact voxel order.
    """

    name = "reorient"

    def plan(
        self, shape: tuple[int, ...], affine: np.ndarray
    ) -> tuple[tuple[int, ...], np.ndarray]:
        affine = np.asarray(affine, dtype=np.float64)
        transform = nib.orientations.ornt_transform(nib.orientations.io_orientation(affine), _RAS)
        new_shape = [0, 0, 0]
        for axis, (target, _) in enumerate(transform):
            new_shape[int(target)] = int(shape[axis])
        return tuple(new_shape), affine @ nib.orientations.inv_ornt_aff(transform, shape)

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        shape = state.image.shape
        transform = nib.orientations.ornt_transform(
            nib.orientations.io_orientation(state.affine), _RAS
        )
        new_affine = state.affine @ nib.orientations.inv_ornt_aff(transform, shape)

        def move(array: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(nib.orientations.apply_orientation(array, transform))

        record = {
            "step": self.name,
            "transform": transform.tolist(),
            "in_shape": list(shape),
            "in_affine": affine_to_list(state.affine),
        }
        return state.map(move, move, new_affine), record

    @classmethod
    def invert(cls, array: np.ndarray, record: dict[str, Any], *, is_label: bool) -> np.ndarray:
        forward = np.asarray(record["transform"], dtype=np.float64)
        # The inverse of "axis i goes to axis forward[i,0], flipped if forward[i,1] < 0".
        backward = np.zeros_like(forward)
        for i, (axis, flip) in enumerate(forward):
            backward[int(axis)] = [i, flip]

        def back(channel: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(nib.orientations.apply_orientation(channel, backward))

        return per_channel(array, back)
