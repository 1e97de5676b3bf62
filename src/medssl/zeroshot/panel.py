"""A figure of one decomposition, in the style of the layer-decomposition paper (Fig. 4).

Rows are the axial, coronal and sagittal planes through the ground truth's centre of
mass when a ground truth is given (so that a miss shows), else the predicted mask's
(the volume centre when both are empty).
Columns are the input, the predicted normal layer, the predicted tumour layer, the
predicted mask over the input and, when given, the ground truth over the input.

Arrays are expected in RAS+ voxel order (as the preprocessing pipelines leave them):
each view is drawn with right to the right, anterior and superior up (neurological
convention), with the physical aspect ratio from ``spacing``, and each view carries
its orientation letters (R/L, A/P, S/I) at its edges. With ``to_input`` (the map
from panel voxels to the input file's voxels), each row's label gives the slice's
position in the input's own voxel grid, the numbers a viewer of that file shows.
The image, normal and tumour columns share one grey scale so that intensities
compare across them.
matplotlib is optional (``pip install 'medssl[plot]'``) and runs on the Agg backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medssl.errors import MedsslError

_PLANES = ("axial", "coronal", "sagittal")


def panel_centre(mask: np.ndarray, truth: np.ndarray | None = None) -> tuple[int, int, int]:
    """Voxel where the three planes cross: the centre of mass of the truth, else the mask."""
    from scipy import ndimage

    for candidate in (truth, mask):
        if candidate is not None and np.any(candidate):
            com = ndimage.center_of_mass(np.asarray(candidate, dtype=np.float32))
            return tuple(round(c) for c in com)  # type: ignore[return-value]
    return tuple(int(s // 2) for s in mask.shape)  # type: ignore[return-value]


def plane(volume: np.ndarray, name: str, centre: tuple[int, int, int]) -> np.ndarray:
    """The 2D slice of ``name`` through ``centre``, transposed for ``imshow(origin="lower")``."""
    i, j, k = centre
    if name == "axial":
        return volume[:, :, k].T
    if name == "coronal":
        return volume[:, j, :].T
    if name == "sagittal":
        return volume[i, :, :].T
    raise MedsslError(f"plane must be one of {', '.join(_PLANES)}; got '{name}'")


_EDGES = {  # (left, right, bottom, top) letters of each view in RAS+ voxel order
    "axial": ("L", "R", "P", "A"),
    "coronal": ("L", "R", "I", "S"),
    "sagittal": ("P", "A", "I", "S"),
}
_AXIS = {"axial": 2, "coronal": 1, "sagittal": 0}


def input_position(centre: tuple[int, int, int], to_input: np.ndarray | None) -> str:
    """The centre voxel in the input's voxel grid, as ``"i, j, k"`` (rounded)."""
    if to_input is None:
        return ""
    point = np.asarray(to_input, dtype=np.float64) @ np.array([*centre, 1.0])
    return ", ".join(str(round(v)) for v in point[:3])


def _aspect(name: str, spacing: tuple[float, float, float]) -> float:
    sx, sy, sz = spacing
    return {"axial": sy / sx, "coronal": sz / sx, "sagittal": sz / sy}[name]


def _row_label(name: str, centre: tuple[int, int, int], to_input: np.ndarray | None) -> str:
    """``axial`` plus the slice number: in the input's grid when it maps onto one axis."""
    if to_input is None:
        return f"{name} {centre[_AXIS[name]]}"
    column = np.abs(np.asarray(to_input)[:3, _AXIS[name]])
    point = np.asarray(to_input, dtype=np.float64) @ np.array([*centre, 1.0])
    axis = int(np.argmax(column))
    if column[axis] < 0.99 * column.sum():  # oblique to the input's axes
        return f"{name} (oblique in input)"
    return f"{name} {'ijk'[axis]}={round(point[axis])}"


def save_panel(
    path: str | Path,
    *,
    image: np.ndarray,
    normal: np.ndarray,
    tumour: np.ndarray,
    mask: np.ndarray,
    truth: np.ndarray | None = None,
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0),
    title: str = "",
    to_input: np.ndarray | None = None,
) -> Path:
    """Write the panel as a PNG (atomically).

    Args:
        path: Output ``.png``.
        image: The network's input.
        normal: Predicted normal layer.
        tumour: Predicted tumour layer.
        mask: Predicted binary mask.
        truth: Ground-truth mask, or ``None``.
        spacing: Voxel size in mm along (X, Y, Z).
        title: Figure title.
        to_input: 4×4 map from the panel's voxel indices to the input file's voxel
            indices (``inv(input_affine) @ panel_affine``); labels each row with the
            slice's position in the input's grid.

    Returns:
        The path written.

    Raises:
        MedsslError: Arrays of different shapes, or matplotlib missing.

    Shape:
        Every array: the same (X, Y, Z).
    """
    from medssl._optional import optional_import
    from medssl.io import atomic_path

    matplotlib = optional_import("matplotlib")
    matplotlib.use("Agg", force=True)
    plt = optional_import("matplotlib.pyplot")

    arrays = {"image": image, "normal": normal, "tumour": tumour, "mask": mask}
    if truth is not None:
        arrays["truth"] = truth
    shapes = {name: np.shape(a) for name, a in arrays.items()}
    if len(set(shapes.values())) != 1 or len(np.shape(image)) != 3:
        raise MedsslError(f"panel arrays must be 3D and share one shape; got {shapes}")
    centre = panel_centre(mask, truth)
    finite = np.asarray(image)[np.asarray(image) != 0]
    low, high = np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0)
    high = high if high > low else low + 1.0
    columns = [
        ("input", image, None),
        ("normal layer", normal, None),
        ("tumour layer", tumour, None),
        ("predicted mask", image, mask),
    ]
    if truth is not None:
        columns.append(("ground truth", image, truth))
    fig, axes = plt.subplots(3, len(columns), figsize=(2.4 * len(columns), 7.4), squeeze=False)
    for r, name in enumerate(_PLANES):
        for c, (label, base, overlay) in enumerate(columns):
            ax = axes[r, c]
            ax.imshow(
                plane(np.asarray(base, dtype=np.float32), name, centre),
                cmap="gray",
                vmin=low,
                vmax=high,
                origin="lower",
                aspect=_aspect(name, spacing),
                interpolation="nearest",
            )
            if overlay is not None:
                shown = np.ma.masked_where(
                    ~plane(np.asarray(overlay) > 0, name, centre),
                    np.ones(plane(np.asarray(overlay), name, centre).shape),
                )
                colour = "autumn" if label == "predicted mask" else "winter"
                ax.imshow(
                    shown,
                    cmap=colour,
                    alpha=0.5,
                    origin="lower",
                    aspect=_aspect(name, spacing),
                    interpolation="nearest",
                )
            ax.set_xticks([])
            ax.set_yticks([])
            left, right, bottom, top = _EDGES[name]
            for text, xy in ((left, (0.02, 0.5)), (right, (0.98, 0.5)),
                             (bottom, (0.5, 0.02)), (top, (0.5, 0.98))):  # fmt: skip
                ax.text(*xy, text, transform=ax.transAxes, color="yellow", fontsize=7,
                        ha="center", va="center")  # fmt: skip
            if r == 0:
                ax.set_title(label, fontsize=9)
            if c == 0:
                ax.set_ylabel(_row_label(name, centre, to_input), fontsize=8)
    where = input_position(centre, to_input)
    where = f"input voxel ({where})" if where else f"centre voxel {centre}"
    fig.suptitle(f"{title}  ({where})".strip(), fontsize=10)
    fig.tight_layout()
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path
