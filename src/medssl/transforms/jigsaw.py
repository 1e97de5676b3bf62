"""3D Jigsaw puzzles (Taleb et al. 2020).

Taleb et al., "3D Self-Supervised Methods for Medical Imaging", NeurIPS 2020,
section 3: a cube is split into a 3×3×3 grid (2×2×2 for tiny models), one tile with a
random jitter is cut from each cell, and the tiles are shuffled by one of ``P``
permutations from a fixed set chosen for large Hamming distances
(:func:`~medssl.transforms.permutations.jigsaw_permutations`). The network sees the
shuffled tiles and predicts the permutation's index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.transforms._checks import as_volume
from medssl.transforms.grid import Grid, Jitter, cut_tile, draw_jitter
from medssl.transforms.permutations import jigsaw_permutations


@dataclass(frozen=True)
class JigsawConfig:
    """The puzzle's geometry and its permutation set.

    Attributes:
        grid: Cells per axis (3 in the paper; 2 for tiny runs).
        cell: Side of a cell; the cube cut from the volume has side ``grid * cell``.
        tile: Side of a tile; ``cell - tile`` is the largest jitter (the gap).
        n_permutations: Size of the permutation set: the number of classes.
        permutation_seed: Seed of the permutation set (keep it fixed across a run
            and its evaluation).
        min_hamming: If given, the smallest pairwise Hamming distance the set must reach.
        pad: Pad a volume smaller than the cube instead of raising.
        pad_value: Value of padded voxels.
    """

    grid: int = 3
    cell: int = 32
    tile: int = 24
    n_permutations: int = 100
    permutation_seed: int = 0
    min_hamming: int | None = None
    pad: bool = False
    pad_value: float = 0.0

    def __post_init__(self) -> None:
        Grid(self.grid, self.cell, self.tile)  # validates the sizes

    @property
    def geometry(self) -> Grid:
        """The grid of cells and tiles."""
        return Grid(self.grid, self.cell, self.tile)

    def permutations(self) -> np.ndarray:
        """The permutation set (cached), shape (n_permutations, grid³)."""
        return jigsaw_permutations(
            self.grid**3,
            self.n_permutations,
            seed=self.permutation_seed,
            min_hamming=self.min_hamming,
        )


@dataclass(frozen=True)
class JigsawParams:
    """The drawn puzzle.

    Attributes:
        permutation: Index into the permutation set: the class to predict.
        jitter: Offset of each cell's tile inside its cell, in cell order.
    """

    permutation: int
    jitter: tuple[Jitter, ...]


def draw_jigsaw(rng: np.random.Generator, config: JigsawConfig) -> JigsawParams:
    """Draw a permutation index (uniform) and a jitter per cell."""
    index = int(rng.integers(0, config.n_permutations))
    return JigsawParams(index, draw_jitter(rng, config.geometry, config.grid**3))


def make_jigsaw(cube: np.ndarray, params: JigsawParams, config: JigsawConfig) -> np.ndarray:
    """Cut the tiles and put them in the drawn order.

    Output position ``j`` holds the tile of cell ``permutations[params.permutation][j]``.

    Args:
        cube: A cube of side ``grid * cell``.
        params: From :func:`draw_jigsaw`.
        config: The puzzle.

    Returns:
        The shuffled tiles, a new float32 array.

    Raises:
        MedsslError: If the cube has the wrong shape, or the parameters do not fit the
            config.

    Shape:
        (side, side, side) → (grid³, tile, tile, tile).
    """
    array = as_volume(cube, name="cube")
    grid = config.geometry
    if not 0 <= params.permutation < config.n_permutations:
        raise MedsslError(
            f"permutation index must be in 0..{config.n_permutations - 1}; got {params.permutation}"
        )
    if len(params.jitter) != grid.n_cells:
        raise MedsslError(f"need one jitter per cell ({grid.n_cells}); got {len(params.jitter)}")
    order = config.permutations()[params.permutation]
    return np.stack([cut_tile(array, grid, int(c), params.jitter[int(c)]) for c in order])


class RandomJigsaw:
    """Draw and make 3D jigsaw puzzles.

    Args:
        config: The puzzle; 3×3×3 cells of 32 with tiles of 24 and 100 permutations
            when None.
    """

    def __init__(self, config: JigsawConfig | None = None) -> None:
        self.config = config or JigsawConfig()
        self.config.permutations()  # build (and check) the set once, up front

    def draw(self, rng: np.random.Generator) -> JigsawParams:
        """Draw the puzzle."""
        return draw_jigsaw(rng, self.config)

    def __call__(
        self, cube: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, JigsawParams]:
        """Draw and make; return the shuffled tiles and the parameters."""
        params = self.draw(rng)
        return make_jigsaw(cube, params, self.config), params
