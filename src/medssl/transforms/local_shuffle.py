"""Local pixel shuffling (Models Genesis).

Zhou et al., "Models Genesis", Medical Image Analysis 2021, section 3.1: many small
windows are sampled in the sub-volume and the voxels inside each are shuffled. A window
is smaller than the network's receptive field, so the global structure survives while
local texture and boundaries are destroyed; restoring them teaches the network texture.

As in the reference code, a window has a random side of 1 to ``dim // 10`` voxels on
each axis and 10,000 windows are drawn for a 64×64×32 sub-volume. The windows are
applied in order, each to the result of the previous ones, so the whole transform is a
permutation of the voxels: the intensity histogram is kept exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.transforms._checks import as_volume, check_positive_int, check_probability


@dataclass(frozen=True, eq=False)
class LocalShuffleParams:
    """The drawn windows.

    Attributes:
        windows: One row per window, ``(x, y, z, size_x, size_y, size_z)``, int64.
        seed: Seed of the within-window permutations (kept as a seed so that the
            parameters stay small; :func:`local_shuffle` is still deterministic).

    Shape:
        ``windows``: (n_windows, 6).
    """

    windows: np.ndarray
    seed: int


def local_shuffle(volume: np.ndarray, params: LocalShuffleParams) -> np.ndarray:
    """Shuffle the voxels inside each window, window after window.

    Args:
        volume: The volume.
        params: The windows, from :meth:`RandomLocalShuffle.draw`.

    Returns:
        A new float32 array holding the same values as ``volume``, moved.

    Raises:
        MedsslError: If a window reaches outside the volume.

    Shape:
        (X, Y, Z) → (X, Y, Z).
    """
    array = as_volume(volume)
    w = np.asarray(params.windows).reshape(-1, 6)
    if len(w) and (
        w[:, :3].min() < 0 or w[:, 3:].min() < 1 or np.any(w[:, :3] + w[:, 3:] > array.shape)
    ):
        raise MedsslError(
            f"local shuffle windows must lie inside the volume of shape {array.shape}"
        )
    targets, sources, offsets = _window_indices(array.shape, params)
    flat = array.reshape(-1).copy()
    bounds = offsets.tolist()
    for a, b in itertools.pairwise(bounds):
        flat[targets[a:b]] = flat[sources[a:b]]
    return flat.reshape(array.shape)


def _window_indices(
    shape: Sequence[int], params: LocalShuffleParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat voxel indices of every window, and where each voxel's new value comes from.

    Returns:
        ``(targets, sources, offsets)``: window ``k`` covers ``targets[offsets[k]:
        offsets[k+1]]`` (row-major order) and voxel ``targets[j]`` takes the value of
        ``sources[j]``, a random permutation of the same window.
    """
    _, ny, nz = shape
    w = np.asarray(params.windows, dtype=np.int64).reshape(-1, 6)
    sizes = w[:, 3] * w[:, 4] * w[:, 5]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    corners = (w[:, 0] * ny + w[:, 1]) * nz + w[:, 2]
    targets = np.empty(offsets[-1], dtype=np.int64)
    sources = np.empty_like(targets)
    # Windows of one shape share their voxel pattern: handle each shape at once, then
    # write the rows back in window order. A uniform permutation inside each window
    # comes from sorting random keys.
    rng = np.random.default_rng(params.seed)
    base = int(w[:, 3:].max(initial=0)) + 1
    shape_id = (w[:, 3] * base + w[:, 4]) * base + w[:, 5]
    for sid in np.unique(shape_id).tolist():
        rows = np.flatnonzero(shape_id == sid)
        sx, sy, sz = (int(v) for v in w[rows[0], 3:])
        ax, ay, az = np.arange(sx), np.arange(sy), np.arange(sz)
        pattern = ((ax[:, None, None] * ny + ay[None, :, None]) * nz + az[None, None, :]).ravel()
        block = corners[rows][:, None] + pattern[None, :]
        perm = np.argsort(rng.random(block.shape), axis=1)
        where = (offsets[rows][:, None] + np.arange(pattern.size)[None, :]).ravel()
        targets[where] = block.ravel()
        sources[where] = np.take_along_axis(block, perm, axis=1).ravel()
    return targets, sources, offsets


class RandomLocalShuffle:
    """Draw local-shuffling windows with probability ``p``.

    Args:
        p: Probability of shuffling at all (paper: 0.5).
        n_windows: Number of windows (reference code: 10,000 for 64×64×32).
        max_fraction: Largest window side as a fraction of the volume's side
            (reference code: 1/10); at least one voxel.

    Raises:
        MedsslError: If ``p`` is not a probability, ``n_windows`` < 1 or
            ``max_fraction`` is not in (0, 1].
    """

    def __init__(
        self, *, p: float = 0.5, n_windows: int = 10_000, max_fraction: float = 0.1
    ) -> None:
        self.p = check_probability(p, name="local shuffle probability p")
        self.n_windows = check_positive_int(n_windows, name="n_windows")
        if not isinstance(max_fraction, (int, float)) or not 0.0 < max_fraction <= 1.0:
            raise MedsslError(f"max_fraction must be in (0, 1]; got {max_fraction!r}")
        self.max_fraction = float(max_fraction)

    def draw(self, rng: np.random.Generator, shape: Sequence[int]) -> LocalShuffleParams | None:
        """Draw the windows for a volume of ``shape``, or None when skipped."""
        if rng.random() >= self.p:
            return None
        n = self.n_windows
        dims = np.asarray(shape, dtype=np.int64)
        max_side = np.maximum(1, (dims * self.max_fraction).astype(np.int64))
        sides = rng.integers(1, max_side, size=(n, 3), endpoint=True)
        starts = rng.integers(0, dims - sides, endpoint=True)
        seed = int(rng.integers(0, 2**63 - 1))
        return LocalShuffleParams(np.concatenate([starts, sides], axis=1), seed)

    def __call__(
        self, volume: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, LocalShuffleParams | None]:
        """Draw and apply; return the result and the parameters (None: unchanged copy)."""
        array = as_volume(volume)
        params = self.draw(rng, array.shape)
        if params is None:
            return array.copy(), None
        return local_shuffle(array, params), params
