"""2.5D patch pairs per axis (Blendowski, Nickisch and Heinrich, MICCAI 2019).

For a plane orientation ``axis`` (the plane's normal is array axis ``axis``; its two
in-plane axes are the other two, in increasing order), a *patch* is three parallel
planes of ``size`` x ``size`` pixels, ``gap`` voxels apart along the normal. The
*anchor* patch is centred at a point of the body; the *partner* is displaced by
``Δ0`` along the normal (random sign) and by the in-plane offsets ``(Δ1, Δ2)``. A
network sees both and predicts ``(Δ1, Δ2)``.

Units. Offsets are written in *normalised units* as in the paper: one unit is
``unit`` voxels (half the reference extent of the normalised cube [-1, 1]). Volumes
are resampled to a fixed isotropic spacing before sampling, so one unit is the same
physical length in every scan. With the defaults (``size=42`` pixels of 1 voxel,
``unit=52.5``) a plane spans 0.8 units, the planes are ``gap=3`` voxels (0.057
units) apart, ``Δ0`` lies in [0.125, 0.25] and the in-plane offsets follow the
curriculum of :func:`offset_range`.

Axis order. Every coordinate here is a voxel index in array order (X, Y, Z).
:func:`sample_points` alone converts it to ``grid_sample``'s (x, y, z) = (last, middle,
first) order, and a coordinate-coded phantom test checks every orientation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from medssl.errors import MedsslError


@dataclass(frozen=True)
class ContextPairConfig:
    """Geometry of the 2.5D patch pairs.

    Attributes:
        size: Pixels per side of a plane (one pixel = one voxel).
        gap: Distance between the three planes along the normal, in voxels.
        unit: Voxels per normalised unit.
        normal_range: Range of ``|Δ0|`` in units.
        start_range: In-plane ``|Δ|`` range at the start of training, in units.
        end_range: In-plane ``|Δ|`` range at the end of training, in units.
    """

    size: int = 42
    gap: float = 3.0
    unit: float = 52.5
    normal_range: tuple[float, float] = (0.125, 0.25)
    start_range: tuple[float, float] = (0.25, 0.3)
    end_range: tuple[float, float] = (0.0, 0.7)

    def __post_init__(self) -> None:
        if int(self.size) < 2:
            raise MedsslError(f"size must be >= 2 pixels; got {self.size}")
        for name in ("normal_range", "start_range", "end_range"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise MedsslError(f"{name} must be 0 <= low <= high; got ({low}, {high})")


def in_plane_axes(axis: int) -> tuple[int, int]:
    """The two array axes spanning a plane with normal ``axis``, in increasing order.

    Raises:
        MedsslError: If ``axis`` is not 0, 1 or 2.
    """
    if axis not in (0, 1, 2):
        raise MedsslError(f"axis must be 0, 1 or 2; got {axis}")
    return tuple(a for a in range(3) if a != axis)  # type: ignore[return-value]


def offset_range(progress: float, config: ContextPairConfig) -> tuple[float, float]:
    """In-plane ``|Δ|`` range at ``progress`` in [0, 1], linear from start to end range."""
    t = float(np.clip(progress, 0.0, 1.0))
    (a0, a1), (b0, b1) = config.start_range, config.end_range
    return a0 + t * (b0 - a0), a1 + t * (b1 - a1)


def plane_points(centres: torch.Tensor, axis: int, *, size: int, gap: float) -> torch.Tensor:
    """Voxel coordinates of three-plane patches centred at ``centres``.

    Args:
        centres: Patch centres in voxel indices (X, Y, Z order).
        axis: The plane normal.
        size: Pixels per side.
        gap: Plane distance along the normal, in voxels.

    Returns:
        Point ``[n, p, i, j]`` = centre + (p - 1) gap e_axis + u_i e_b + u_j e_c with
        ``u = arange(size) - (size - 1) / 2`` and ``(b, c) = in_plane_axes(axis)``.

    Shape:
        centres (N, 3) → (N, 3, size, size, 3).
    """
    b, c = in_plane_axes(axis)
    u = torch.arange(size, dtype=centres.dtype) - (size - 1) / 2.0
    offsets = torch.zeros(3, size, size, 3, dtype=centres.dtype)
    offsets[..., axis] = (torch.arange(3, dtype=centres.dtype) - 1.0).view(3, 1, 1) * gap
    offsets[..., b] = u.view(1, size, 1)
    offsets[..., c] = u.view(1, 1, size)
    return centres.view(-1, 1, 1, 1, 3) + offsets


def sample_points(volume: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Trilinear values of ``volume`` at voxel coordinates (0 outside).

    Args:
        volume: A (X, Y, Z) volume.
        points: Voxel coordinates, last dimension in array order (X, Y, Z).

    Returns:
        The values, shaped like ``points`` without its last dimension.
    """
    shape = torch.tensor(volume.shape, dtype=points.dtype)
    norm = 2.0 * points / (shape - 1).clamp(min=1) - 1.0
    grid = norm.flip(-1).reshape(1, -1, 1, 1, 3)  # grid_sample wants (z, y, x) = (W, H, D)
    out = F.grid_sample(
        volume[None, None].to(points.dtype),
        grid,
        mode="bilinear",
        padding_mode="zeros",
        align_corners=True,
    )
    return out.reshape(points.shape[:-1])


@dataclass(frozen=True)
class PairParams:
    """The drawn parameters of one pair (all in voxels except the ``delta``)."""

    volume: int
    axis: int
    anchor: tuple[float, float, float]
    partner: tuple[float, float, float]
    delta: tuple[float, float, float]  # (Δ0, Δ1, Δ2) in normalised units


def draw_pair(
    rng: np.random.Generator,
    *,
    volume: int,
    axis: int,
    body: np.ndarray,
    progress: float,
    config: ContextPairConfig,
) -> PairParams:
    """Draw an anchor in the body and a partner offset for plane orientation ``axis``.

    Args:
        rng: The generator.
        volume: Index of the volume (recorded only).
        axis: The plane normal.
        body: (N, 3) voxel indices of the body, where anchors may lie.
        progress: Training progress in [0, 1] (curriculum).
        config: The pair geometry.
    """
    anchor = body[rng.integers(len(body))] + rng.uniform(-0.5, 0.5, size=3)
    low, high = offset_range(progress, config)
    d0 = rng.uniform(*config.normal_range) * rng.choice((-1.0, 1.0))
    d12 = rng.uniform(low, high, size=2) * rng.choice((-1.0, 1.0), size=2)
    b, c = in_plane_axes(axis)
    shift = np.zeros(3)
    shift[axis], shift[b], shift[c] = d0, d12[0], d12[1]
    partner = anchor + shift * config.unit
    return PairParams(
        volume=volume,
        axis=axis,
        anchor=tuple(float(v) for v in anchor),
        partner=tuple(float(v) for v in partner),
        delta=(float(d0), float(d12[0]), float(d12[1])),
    )


def heatmap_target(delta: torch.Tensor, *, half: int = 9, scale: float = 10.0) -> torch.Tensor:
    """The paper's heatmap: ``scale · exp(-15 ((i/half - Δ1)² + (j/half - Δ2)²))``.

    Shape:
        delta (..., 2) → (..., 2 half + 1, 2 half + 1); rows follow Δ1, columns Δ2.
    """
    grid = torch.arange(-half, half + 1, dtype=delta.dtype) / half
    di = (grid - delta[..., 0:1]) ** 2
    dj = (grid - delta[..., 1:2]) ** 2
    return scale * torch.exp(-15.0 * (di[..., :, None] + dj[..., None, :]))


def body_voxels(volume: np.ndarray, *, threshold: float) -> np.ndarray:
    """(N, 3) indices of voxels above ``threshold`` (all voxels if none is).

    Raises:
        MedsslError: For an empty volume.
    """
    if volume.size == 0:
        raise MedsslError("cannot draw patch centres from an empty volume")
    idx = np.argwhere(volume > threshold)
    return idx if len(idx) else np.argwhere(np.ones(volume.shape, bool))


class ContextPairDataset(torch.utils.data.Dataset):
    """Item ``i``: one anchor/partner pair per plane orientation, re-made from (seed, i).

    Args:
        volumes: Preprocessed (X, Y, Z) float volumes.
        seed: Dataset seed.
        total: Items in the whole run (the curriculum reaches its end there).
        config: The pair geometry.
        body_threshold: Anchors lie in voxels above this value.

    Items:
        ``input``: (3 axes, 2 [anchor, partner], 3 planes, size, size) float32;
        ``delta``: (3 axes, 2) in-plane offsets in units; ``params``: (3 axes, 9)
        float64 of the drawn parameters (volume, axis, anchor xyz, partner xyz, Δ0).
    """

    def __init__(
        self,
        volumes: Sequence[np.ndarray],
        *,
        seed: int,
        total: int,
        config: ContextPairConfig,
        body_threshold: float = 0.0,
    ) -> None:
        if not volumes:
            raise MedsslError("no volumes to draw patch pairs from")
        self.volumes = [torch.tensor(np.asarray(v, np.float32)) for v in volumes]
        self.bodies = [body_voxels(np.asarray(v), threshold=body_threshold) for v in volumes]
        self.seed, self.total, self.config = int(seed), max(1, int(total)), config

    def params(self, index: int) -> list[PairParams]:
        """The drawn parameters of item ``index`` (one pair per axis)."""
        rng = np.random.default_rng([self.seed, int(index)])
        vol = int(rng.integers(len(self.volumes)))
        progress = index / self.total
        return [
            draw_pair(
                rng,
                volume=vol,
                axis=axis,
                body=self.bodies[vol],
                progress=progress,
                config=self.config,
            )
            for axis in range(3)
        ]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        pairs = self.params(index)
        c = self.config
        inputs, deltas, records = [], [], []
        for p in pairs:
            centres = torch.tensor([p.anchor, p.partner], dtype=torch.float32)
            points = plane_points(centres, p.axis, size=c.size, gap=c.gap)
            inputs.append(sample_points(self.volumes[p.volume], points))
            deltas.append(p.delta[1:])
            records.append([p.volume, p.axis, *p.anchor, *p.partner, p.delta[0]])
        return {
            "input": torch.stack(inputs),
            "delta": torch.tensor(deltas, dtype=torch.float32),
            "params": torch.tensor(records, dtype=torch.float64),
        }


def config_dict(config: ContextPairConfig) -> dict[str, object]:
    """The config as plain values (for weights metadata)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}
