"""3D Doersch-style cube pairs: which of the 6 face neighbours is the partner?

After Doersch, Gupta and Efros (ICCV 2015), in 3D as the baseline of Blendowski et al.
(MICCAI 2019). A cube of ``size``³ voxels is centred in the body; the partner cube
sits one cube side plus ``gap`` away along one of the six face directions, with a
random jitter on every axis so that edges and lines do not simply continue across
the border. The class is the direction: 0 = -X, 1 = +X, 2 = -Y, 3 = +Y, 4 = -Z, 5 = +Z
(array axes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from medssl.errors import MedsslError
from medssl.views.context_pairs import body_voxels, sample_points


@dataclass(frozen=True)
class DoerschCubeConfig:
    """Geometry of the cube pairs (voxels).

    Attributes:
        size: Cube side.
        gap: Extra distance between the two cubes along the face direction.
        jitter: Maximum jitter of the partner on each axis.
    """

    size: int = 25
    gap: float = 3.0
    jitter: float = 3.0

    def __post_init__(self) -> None:
        if int(self.size) < 2 or self.gap < 0 or self.jitter < 0:
            raise MedsslError(
                f"cube size must be >= 2 and gap, jitter >= 0; got {self.size}, "
                f"{self.gap}, {self.jitter}"
            )


def neighbour_offset(direction: int, *, size: int, gap: float) -> np.ndarray:
    """The partner's offset (voxels, array order) for face ``direction`` in 0..5.

    Raises:
        MedsslError: For a direction outside 0..5.
    """
    if direction not in range(6):
        raise MedsslError(f"direction must be in 0..5; got {direction}")
    offset = np.zeros(3)
    offset[direction // 2] = (size + gap) * (1.0 if direction % 2 else -1.0)
    return offset


def cube_points(centres: torch.Tensor, *, size: int) -> torch.Tensor:
    """Voxel coordinates of cubes centred at ``centres``.

    Shape:
        centres (N, 3) → (N, size, size, size, 3); point [n, i, j, k] = centre + (u_i,
        u_j, u_k) with ``u = arange(size) - (size - 1) / 2``.
    """
    u = torch.arange(size, dtype=centres.dtype) - (size - 1) / 2.0
    grid = torch.stack(torch.meshgrid(u, u, u, indexing="ij"), dim=-1)
    return centres.view(-1, 1, 1, 1, 3) + grid


class DoerschCubeDataset(torch.utils.data.Dataset):
    """Item ``i``: an anchor cube, a partner cube and the direction, from (seed, i).

    Items:
        ``input``: (2, size, size, size) float32; ``label``: () long in 0..5;
        ``params``: (7,) float64 (volume, anchor xyz, partner xyz).
    """

    def __init__(
        self,
        volumes: Sequence[np.ndarray],
        *,
        seed: int,
        config: DoerschCubeConfig,
        body_threshold: float = 0.0,
    ) -> None:
        if not volumes:
            raise MedsslError("no volumes to draw cubes from")
        self.volumes = [torch.tensor(np.asarray(v, np.float32)) for v in volumes]
        self.bodies = [body_voxels(np.asarray(v), threshold=body_threshold) for v in volumes]
        self.seed, self.config = int(seed), config

    def params(self, index: int) -> tuple[int, np.ndarray, np.ndarray, int]:
        """(volume, anchor, partner, direction) of item ``index``."""
        rng = np.random.default_rng([self.seed, int(index)])
        c = self.config
        vol = int(rng.integers(len(self.volumes)))
        body = self.bodies[vol]
        anchor = body[rng.integers(len(body))] + rng.uniform(-0.5, 0.5, size=3)
        direction = int(rng.integers(6))
        jitter = rng.uniform(-c.jitter, c.jitter, size=3)
        partner = anchor + neighbour_offset(direction, size=c.size, gap=c.gap) + jitter
        return vol, anchor, partner, direction

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        vol, anchor, partner, direction = self.params(index)
        centres = torch.tensor(np.stack([anchor, partner]), dtype=torch.float32)
        cubes = sample_points(self.volumes[vol], cube_points(centres, size=self.config.size))
        return {
            "input": cubes,
            "label": torch.tensor(direction, dtype=torch.long),
            "params": torch.tensor([vol, *anchor, *partner], dtype=torch.float64),
        }
