"""3D relative patch location (Taleb et al. 2020).

Taleb et al., "3D Self-Supervised Methods for Medical Imaging", NeurIPS 2020,
section 3, after Doersch et al. (ICCV 2015): a cube is split into a 3×3×3 grid; the
centre cell's patch and the patch of one of its 26 neighbours (the query) are cut,
each with a random jitter, and the network predicts where the query lies relative to
the centre: a class in 0..25.

Class ``k`` is the neighbour at offset :data:`NEIGHBOURS` ``[k]`` from the centre, in
row-major order of the offsets in {-1, 0, 1}³ without (0, 0, 0).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.transforms._checks import as_volume
from medssl.transforms.crop import Box
from medssl.transforms.grid import Grid, Jitter, cut_tile, draw_jitter

#: Offset of the query cell from the centre cell, per class.
NEIGHBOURS: tuple[tuple[int, int, int], ...] = tuple(
    o for o in itertools.product((-1, 0, 1), repeat=3) if o != (0, 0, 0)
)
N_NEIGHBOURS = len(NEIGHBOURS)
_CENTRE = 13  # row-major index of cell (1, 1, 1) in a 3×3×3 grid


@dataclass(frozen=True)
class RplConfig:
    """The patch geometry.

    Attributes:
        cell: Side of a cell; the cube cut from the volume has side ``3 * cell``.
        patch: Side of a patch; ``cell - patch`` is the largest jitter (the gap).
        pad: Pad a volume smaller than the cube instead of raising.
        pad_value: Value of padded voxels.
    """

    cell: int = 32
    patch: int = 24
    pad: bool = False
    pad_value: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.patch, int) and isinstance(self.cell, int) and self.patch > self.cell:
            raise MedsslError(f"patch must be <= cell; got patch {self.patch} and cell {self.cell}")
        Grid(3, self.cell, self.patch)  # validates the sizes

    @property
    def geometry(self) -> Grid:
        """The 3×3×3 grid of cells and patches."""
        return Grid(3, self.cell, self.patch)


@dataclass(frozen=True)
class RplParams:
    """The drawn pair.

    Attributes:
        label: Index into :data:`NEIGHBOURS`: the class to predict.
        centre_jitter: Offset of the centre patch inside its cell.
        query_jitter: Offset of the query patch inside its cell.
    """

    label: int
    centre_jitter: Jitter
    query_jitter: Jitter


def query_cell(label: int) -> int:
    """Row-major index, in the 3×3×3 grid, of the cell of neighbour class ``label``.

    Raises:
        MedsslError: If ``label`` is not in 0..25.
    """
    if (
        isinstance(label, bool)
        or not isinstance(label, (int, np.integer))
        or not 0 <= label < N_NEIGHBOURS
    ):
        raise MedsslError(
            f"relative position label must be in 0..{N_NEIGHBOURS - 1}; got {label!r}"
        )
    dx, dy, dz = NEIGHBOURS[int(label)]
    return ((1 + dx) * 3 + (1 + dy)) * 3 + (1 + dz)


def rpl_boxes(params: RplParams, config: RplConfig) -> tuple[Box, Box]:
    """Boxes of the centre and query patches inside the cube."""
    grid = config.geometry
    return (
        grid.tile_box(_CENTRE, params.centre_jitter),
        grid.tile_box(query_cell(params.label), params.query_jitter),
    )


def draw_rpl(rng: np.random.Generator, config: RplConfig) -> RplParams:
    """Draw a neighbour class (uniform) and the two jitters."""
    label = int(rng.integers(0, N_NEIGHBOURS))
    centre, query = draw_jitter(rng, config.geometry, 2)
    return RplParams(label, centre, query)


def make_rpl(
    cube: np.ndarray, params: RplParams, config: RplConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Cut the centre and query patches.

    Args:
        cube: A cube of side ``3 * cell``.
        params: From :func:`draw_rpl`.
        config: The geometry.

    Returns:
        ``(centre, query)``, new float32 arrays.

    Raises:
        MedsslError: If the cube has the wrong shape or the label is out of range.

    Shape:
        (side, side, side) → (patch, patch, patch), (patch, patch, patch).
    """
    array = as_volume(cube, name="cube")
    grid = config.geometry
    query = cut_tile(array, grid, query_cell(params.label), params.query_jitter).copy()
    centre = cut_tile(array, grid, _CENTRE, params.centre_jitter).copy()
    return centre, query


class RandomRelativePatch:
    """Draw and cut (centre, query) pairs.

    Args:
        config: The geometry; cells of 32 and patches of 24 when None.
    """

    def __init__(self, config: RplConfig | None = None) -> None:
        self.config = config or RplConfig()

    def draw(self, rng: np.random.Generator) -> RplParams:
        """Draw the pair."""
        return draw_rpl(rng, self.config)

    def __call__(
        self, cube: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, RplParams]:
        """Draw and cut; return ``(centre, query, params)``."""
        params = self.draw(rng)
        centre, query = make_rpl(cube, params, self.config)
        return centre, query, params
