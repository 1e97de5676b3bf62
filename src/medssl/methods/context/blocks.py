"""Block-level pieces of k-NN label transfer: the 4³ blocks a descriptor stands for.

A descriptor describes one block of 4³ voxels of the context grid
(:mod:`.descriptors`). Here: each block's class fractions and whether it holds tissue,
its place in the body box (optionally mapped into another scan's box), block votes
brought back to every voxel, and each label's largest connected piece.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from medssl.errors import MedsslError
from medssl.methods.context.descriptors import STRIDE, block_centres, block_shape

UPSAMPLING = ("interp", "nearest")


def block_fractions(classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Fraction of each class in every 4³ block (the volume is padded with class 0).

    Shape:
        (X, Y, Z) int → (B0, B1, B2, n_classes) float32.
    """
    t = torch.as_tensor(np.asarray(classes, np.int64))
    pads = [(0, STRIDE * b - n) for n, b in zip(t.shape, block_shape(t.shape))]
    t = F.pad(t, [p for pair in reversed(pads) for p in pair])
    onehot = F.one_hot(t, n_classes).permute(3, 0, 1, 2).float()
    return F.avg_pool3d(onehot[None], STRIDE)[0].permute(1, 2, 3, 0).numpy()


def tissue_blocks(volume: np.ndarray) -> np.ndarray:
    """Blocks holding any voxel above the bottom of the CT window (not only air/lung).

    Shape:
        (X, Y, Z) → (B0, B1, B2) bool.
    """
    t = torch.as_tensor(np.ascontiguousarray(volume, np.float32))
    pads = [(0, STRIDE * b - n) for n, b in zip(t.shape, block_shape(t.shape))]
    t = F.pad(t, [p for pair in reversed(pads) for p in pair])
    return (F.max_pool3d(t[None, None], STRIDE)[0, 0] > 0).numpy()


def upsample_votes(fractions: np.ndarray, shape: tuple[int, int, int], *, mode: str) -> np.ndarray:
    """Class index of every voxel of the context grid from block vote fractions.

    Shape:
        (B0, B1, B2, C) → ``shape`` (X, Y, Z) int.
    """
    if mode not in UPSAMPLING:
        raise MedsslError(f"upsampling must be one of {', '.join(UPSAMPLING)}; got '{mode}'")
    if mode == "nearest":
        cls = fractions.argmax(-1)
        for axis in range(3):
            cls = np.repeat(cls, STRIDE, axis=axis)
        return cls[: shape[0], : shape[1], : shape[2]]
    t = torch.as_tensor(fractions).permute(3, 0, 1, 2)[None]
    full = tuple(STRIDE * b for b in fractions.shape[:3])
    # align_corners=False maps voxel i to block coordinate (i - 1.5) / 4: the block centres.
    up = F.interpolate(t, size=full, mode="trilinear", align_corners=False)[0]
    return up[:, : shape[0], : shape[1], : shape[2]].argmax(0).numpy()


def largest_pieces(classes: np.ndarray) -> np.ndarray:
    """Each nonzero class reduced to its largest 26-connected component (the rest → 0).

    Shape:
        (X, Y, Z) → the same.
    """
    from scipy import ndimage

    out = np.zeros_like(classes)
    for c in np.unique(classes):
        if c == 0:
            continue
        pieces, count = ndimage.label(classes == c, structure=np.ones((3, 3, 3), bool))
        if count:
            sizes = np.bincount(pieces.ravel())[1:]
            out[pieces == 1 + int(np.argmax(sizes))] = c
    return out


def body_box_position(
    shape: tuple[int, ...],
    *,
    axes: str,
    to: np.ndarray | None = None,
    box: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Every block centre's place in the (body-cropped) context grid, scaled to [-1, 1].

    Args:
        shape: The context grid's shape.
        axes: ``xy`` or ``xyz`` (``aligned`` counts as ``xyz``).
        to: A 4 x 4 voxel map into another scan's grid (:func:`.align.align_affine`).
        box: That scan's shape, whose box then scales the coordinates.

    Shape:
        (X, Y, Z) → (B0 * B1 * B2, len(axes)), C order of the blocks.
    """
    centres = block_centres(shape).numpy().astype(np.float64)
    if to is not None:
        centres = centres @ to[:3, :3].T + to[:3, 3]
        shape = box
    extent = np.maximum(np.asarray(shape, np.float64) - 1.0, 1.0)
    scaled = 2.0 * centres / extent - 1.0
    return np.ascontiguousarray(scaled[:, : min(len(axes), 3)], np.float32)
