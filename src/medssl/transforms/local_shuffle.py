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

    Shape:
        (X, Y, Z) → (X, Y, Z).
    """
    array = as_volume(volume)
    targets, sources, offsets = _window_indices(array.shape, params)
    flat = array.reshape(-1).copy()
    bounds = offsets.tolist()
    for a, b in zip(bounds[:-1], bounds[1:]):
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
    ox, oy, oz, sx, sy, sz = w.T
    sizes = sx * sy * sz
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    wid = np.repeat(np.arange(len(w)), sizes)
    local = np.arange(offsets[-1]) - offsets[:-1][wid]
    szw = sz[wid]
    syz = sy[wid] * szw
    lx = local // syz
    rest = local - lx * syz
    ly = rest // szw
    lz = rest - ly * szw
    targets = ((ox[wid] + lx) * ny + (oy[wid] + ly)) * nz + (oz[wid] + lz)
    # A uniform permutation inside each window: sort random keys, grouped by window size
    # so that each argsort runs over short rows.
    rng = np.random.default_rng(params.seed)
    order = np.empty_like(targets)
    for size in np.unique(sizes).tolist():
        rows = np.flatnonzero(sizes == size)
        perm = np.argsort(rng.random((len(rows), size)), axis=1)
        order[(offsets[rows][:, None] + np.arange(size)).ravel()] = (
            offsets[rows][:, None] + perm
        ).ravel()
    return targets, targets[order], offsets


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

    def __init__(self, *, p: float = 0.5, n_windows: int = 10_000, max_fraction: float = 0.1) -> None:
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
