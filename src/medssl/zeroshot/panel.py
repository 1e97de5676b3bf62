"""A figure of one decomposition, in the style of the layer-decomposition paper (Fig. 4).

Rows are the axial, coronal and sagittal planes through the predicted mask's centre
of mass (the ground truth's when the mask is empty, the volume centre when both are).
Columns are the input, the predicted normal layer, the predicted tumour layer, the
predicted mask over the input and, when given, the ground truth over the input.

Arrays are expected in RAS+ voxel order (as the preprocessing pipelines leave them):
each view is drawn with right to the right, anterior and superior up (neurological
convention), with the physical aspect ratio from ``spacing``. The image, normal and
tumour columns share one grey scale so that intensities compare across them.
matplotlib is optional (``pip install 'medssl[plot]'``) and runs on the Agg backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medssl.errors import MedsslError

_PLANES = ("axial", "coronal", "sagittal")


def panel_centre(mask: np.ndarray, truth: np.ndarray | None = None) -> tuple[int, int, int]:
    """Voxel where the three planes cross: the centre of mass of the mask (see module)."""
    from scipy import ndimage

    for candidate in (mask, truth):
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


def _aspect(name: str, spacing: tuple[float, float, float]) -> float:
    sx, sy, sz = spacing
    return {"axial": sy / sx, "coronal": sz / sx, "sagittal": sz / sy}[name]


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
            if r == 0:
                ax.set_title(label, fontsize=9)
            if c == 0:
                ax.set_ylabel(name, fontsize=9)
    fig.suptitle(f"{title}  (centre voxel {centre})".strip(), fontsize=10)
    fig.tight_layout()
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path
