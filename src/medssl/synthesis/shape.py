"""Random tumour shapes: a noise-displaced geodesic polyhedron, rotated and scaled.

Follows Zhang et al., "Self-supervised Tumor Segmentation through Layer Decomposition"
(after Pérez-García et al., "A self-supervised learning strategy for postoperative
brain cavity segmentation simulating resections", IJCARS 2021): a subdivided
icosahedron on the unit sphere has each vertex moved along its normal (the radial
direction) by fractal simplex noise, and is then recentred, scaled anisotropically,
rotated and translated. Every vertex stays on its own ray from the origin, so the
surface is star-shaped and is described exactly by one radius per vertex; see
:mod:`medssl.synthesis.raster` for how that is turned into voxels.

:func:`sample_shape` draws a :class:`ShapeParams`; :func:`vertex_radii` and
:func:`shape_frame` are the deterministic parts that apply it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError
from medssl.synthesis.noise import fractal_simplex3


@dataclass(frozen=True)
class Icosphere:
    """A geodesic polyhedron on the unit sphere.

    Attributes:
        vertices: Unit vectors, shape (V, 3).
        faces: Vertex indices of each triangle, counter-clockwise seen from outside,
            shape (F, 3).
    """

    vertices: np.ndarray
    faces: np.ndarray


@functools.lru_cache(maxsize=8)
def icosphere(subdivisions: int) -> Icosphere:
    """The icosahedron subdivided ``subdivisions`` times, projected on the unit sphere.

    Level 3 has 642 vertices and 1280 faces, level 4 has 2562 and 5120. The result is
    cached and its arrays are read-only.

    Raises:
        MedsslError: If ``subdivisions`` is not in 0–6.
    """
    if not 0 <= int(subdivisions) <= 6:
        raise MedsslError(f"subdivisions must be in 0-6; got {subdivisions}")
    t = (1.0 + 5.0**0.5) / 2.0
    verts = [
        [-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0],
        [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
        [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1],
    ]  # fmt: skip
    faces = np.array(
        [
            [0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
            [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
            [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9],
            [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1],
        ]
    )  # fmt: skip
    vertices = np.array(verts, dtype=np.float64)
    vertices /= np.linalg.norm(vertices, axis=1, keepdims=True)
    for _ in range(int(subdivisions)):
        vertices, faces = _subdivide(vertices, faces)
    vertices.setflags(write=False)
    faces.setflags(write=False)
    return Icosphere(vertices=vertices, faces=faces)


def _subdivide(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each triangle in four through its edge midpoints, pushed onto the sphere."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges.sort(axis=1)
    unique, inverse = np.unique(edges, axis=0, return_inverse=True)
    mids = vertices[unique[:, 0]] + vertices[unique[:, 1]]
    mids /= np.linalg.norm(mids, axis=1, keepdims=True)
    mid_index = (inverse.reshape(3, -1) + len(vertices)).T  # (F, 3): edges 01, 12, 20
    a, b, c = faces.T
    ab, bc, ca = mid_index.T
    new_faces = np.concatenate(
        [np.stack(f, axis=1) for f in ((a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca))]
    )
    return np.concatenate([vertices, mids]), new_faces


@dataclass(frozen=True)
class ShapeParams:
    """Everything needed to rebuild one tumour shape.

    Attributes:
        centre_mm: Centre in world millimetres, relative to voxel (0, 0, 0), so that
            voxel ``i`` lies at ``i * spacing``.
        volume_mm3: Volume of the (continuous) shape.
        axis_ratio: ``q``: the semi-axes before noise are proportional to
            ``(q, 1, 1/q)``, so shortest/longest is ``q²``.
        quaternion: Unit quaternion (w, x, y, z) of the rotation.
        octaves: Octaves of the surface noise.
        noise_offset: Offset added to the unit-sphere points before sampling noise.
        noise_amplitude: Radial displacement for noise 1, as a fraction of the radius.
        noise_frequency: Frequency of the first octave on the unit sphere.
        subdivisions: Icosphere level.
    """

    centre_mm: tuple[float, float, float]
    volume_mm3: float
    axis_ratio: float
    quaternion: tuple[float, float, float, float]
    octaves: int
    noise_offset: tuple[float, float, float]
    noise_amplitude: float
    noise_frequency: float
    subdivisions: int


def sample_shape(
    rng: np.random.Generator,
    *,
    centre_mm: np.ndarray,
    volume_mm3: float,
    axis_ratio_range: tuple[float, float],
    octaves_range: tuple[int, int],
    noise_amplitude: float,
    noise_frequency: float,
    subdivisions: int,
) -> ShapeParams:
    """Draw the rotation, axis ratio, octaves and noise offset of one shape.

    The rotation is uniform on SO(3) (a normalised 4D Gaussian quaternion); the axis
    ratio is uniform in its range; octaves are uniform integers in the closed range;
    the noise offset is uniform in [0, 1000)³.
    """
    quaternion = rng.normal(size=4)
    quaternion /= np.linalg.norm(quaternion)
    return ShapeParams(
        centre_mm=tuple(float(c) for c in centre_mm),
        volume_mm3=float(volume_mm3),
        axis_ratio=float(rng.uniform(*axis_ratio_range)),
        quaternion=tuple(float(q) for q in quaternion),
        octaves=int(rng.integers(octaves_range[0], octaves_range[1] + 1)),
        noise_offset=tuple(float(o) for o in rng.uniform(0.0, 1000.0, size=3)),
        noise_amplitude=float(noise_amplitude),
        noise_frequency=float(noise_frequency),
        subdivisions=int(subdivisions),
    )


def vertex_radii(params: ShapeParams) -> np.ndarray:
    """Radius of each displaced icosphere vertex: ``1 + amplitude * noise``, shape (V,).

    Raises:
        MedsslError: If a radius is not positive (amplitude too large to stay
            star-shaped).
    """
    sphere = icosphere(params.subdivisions)
    points = sphere.vertices * params.noise_frequency + np.asarray(params.noise_offset)
    radii = 1.0 + params.noise_amplitude * fractal_simplex3(points, octaves=params.octaves)
    if radii.min() <= 0.05:
        raise MedsslError(
            f"noise_amplitude {params.noise_amplitude} folds the surface through its centre; "
            "use a value below 0.9"
        )
    return radii


def rotation_matrix(quaternion: tuple[float, float, float, float]) -> np.ndarray:
    """3×3 rotation matrix of a unit quaternion (w, x, y, z)."""
    w, x, y, z = np.asarray(quaternion, dtype=np.float64) / np.linalg.norm(quaternion)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


@dataclass(frozen=True)
class ShapeFrame:
    """The deterministic geometry of a shape, derived from :class:`ShapeParams`.

    A world point ``p`` (mm) maps to the unit frame by
    ``u = world_to_unit @ (p - centre_mm) + unit_centroid``; it is inside the shape
    when ``|u|`` is at most the displaced radius in the direction of ``u``.

    Attributes:
        radii: Vertex radii, shape (V,).
        world_to_unit: 3×3 matrix, the inverse of rotation·scale.
        unit_centroid: Vertex mean of the displaced polyhedron (the reference code
            recentres the mesh on it), shape (3,).
        half_extent_mm: Half size of an axis-aligned box around the shape, shape (3,).
    """

    radii: np.ndarray
    world_to_unit: np.ndarray
    unit_centroid: np.ndarray
    half_extent_mm: np.ndarray


def shape_frame(params: ShapeParams) -> ShapeFrame:
    """Scale the displaced polyhedron to the requested volume and build its frame."""
    sphere = icosphere(params.subdivisions)
    radii = vertex_radii(params)
    points = sphere.vertices * radii[:, None]
    a, b, c = (points[sphere.faces[:, i]] for i in range(3))
    unit_volume = float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)
    centroid = points.mean(axis=0)
    scale = (params.volume_mm3 / unit_volume) ** (1.0 / 3.0)
    q = params.axis_ratio
    semi_axes = scale * np.array([q, 1.0, 1.0 / q])
    rotation = rotation_matrix(params.quaternion)
    unit_to_world = rotation * semi_axes[None, :]
    bound = np.linalg.norm(points - centroid, axis=1).max()
    half_extent = bound * np.linalg.norm(unit_to_world, axis=1)
    return ShapeFrame(
        radii=radii,
        world_to_unit=np.linalg.inv(unit_to_world),
        unit_centroid=centroid,
        half_extent_mm=half_extent,
    )
