"""A cube cut into a grid of cells, with one jittered tile per cell.

Shared by 3D Jigsaw and 3D relative patch location (Taleb et al., NeurIPS 2020, after
Noroozi & Favaro 2016 and Doersch et al. 2015): a cube of side ``grid * cell`` is split
into ``grid³`` cells, and from each cell a tile of side ``tile <= cell`` is cut at a
random offset (the jitter). The gap between tiles stops the network from solving the
task by matching edges.

Cells are numbered in row-major order: cell ``(i, j, k)`` has index ``(i*grid + j)*grid + k``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.transforms._checks import check_positive_int
from medssl.transforms.crop import Box

Jitter = tuple[int, int, int]


@dataclass(frozen=True)
class Grid:
    """The geometry of the grid.

    Attributes:
        grid: Cells per axis.
        cell: Side of a cell, in voxels.
        tile: Side of a tile; ``cell - tile`` is the largest jitter.

    Raises:
        MedsslError: If a size is not a positive integer, or ``tile > cell``.
    """

    grid: int
    cell: int
    tile: int

    def __post_init__(self) -> None:
        check_positive_int(self.grid, name="grid")
        check_positive_int(self.cell, name="cell")
        check_positive_int(self.tile, name="tile")
        if self.tile > self.cell:
            raise MedsslError(f"tile must be <= cell; got tile {self.tile} and cell {self.cell}")

    @property
    def side(self) -> int:
        """Side of the whole cube: ``grid * cell``."""
        return self.grid * self.cell

    @property
    def n_cells(self) -> int:
        """Number of cells, ``grid³``."""
        return self.grid**3

    def cell_position(self, index: int) -> tuple[int, int, int]:
        """Cell ``(i, j, k)`` of a row-major index."""
        g = self.grid
        return index // (g * g), (index // g) % g, index % g

    def tile_box(self, index: int, jitter: Jitter) -> Box:
        """Box of the tile of cell ``index``, shifted by ``jitter`` inside its cell."""
        for j in jitter:
            if not 0 <= j <= self.cell - self.tile:
                raise MedsslError(
                    f"jitter must be in 0..{self.cell - self.tile}; got {tuple(jitter)}"
                )
        start = tuple(p * self.cell + j for p, j in zip(self.cell_position(index), jitter))
        return Box(start, (self.tile,) * 3)  # type: ignore[arg-type]


def draw_jitter(rng: np.random.Generator, grid: Grid, n: int) -> tuple[Jitter, ...]:
    """Draw ``n`` jitters, each uniform in ``0..cell - tile`` on every axis."""
    values = rng.integers(0, grid.cell - grid.tile, size=(n, 3), endpoint=True)
    return tuple(tuple(int(v) for v in row) for row in values)  # type: ignore[misc]


def cut_tile(cube: np.ndarray, grid: Grid, index: int, jitter: Jitter) -> np.ndarray:
    """Cut the tile of cell ``index`` out of ``cube`` (a view).

    Raises:
        MedsslError: If the cube is not ``grid.side`` on every axis.

    Shape:
        (side, side, side) → (tile, tile, tile).
    """
    if tuple(cube.shape) != (grid.side,) * 3:
        raise MedsslError(
            f"cube must have side grid * cell = {grid.side} on every axis; got shape {cube.shape}"
        )
    return cube[grid.tile_box(index, jitter).slices]
