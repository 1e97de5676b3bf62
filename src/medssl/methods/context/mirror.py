"""Paired organs voted from both sides of a support (``Vote.mirror_pairs``).

A support's left and right organ of a pair (the kidneys) need not sit symmetrically: one
may lie centimetres lower than the other, while a query's pair may not. With the
position appended to the descriptors, the query's organ is then voted by whatever the
support holds at its place. Mirroring the support left-right puts a copy of each paired
organ, with its label swapped, where its twin would sit; only those mirrored blocks join
the database.

Pairs are found from the support's label alone, on the context grid (RAS, cropped to the
body): two labels of similar volume whose centroids are mirror images about the body
box's left-right centre, on opposite sides of it.
"""

from __future__ import annotations

import numpy as np

#: Largest volume ratio of the two organs of a pair.
MAX_VOLUME_RATIO = 2.0
#: Largest distance (share of the box width) between one centroid and the other's mirror.
MIRROR_TOLERANCE = 0.1
#: Least distance (share of the box width) of each centroid from the box's centre.
MIN_SIDE_OFFSET = 0.1


def label_pairs(label: np.ndarray, values: list[int] | None = None) -> list[tuple[int, int]]:
    """Left-right pairs of label values in a label map on the context grid.

    Args:
        label: Label map, axis 0 left-right.
        values: Values that may pair (default: every non-zero value present).

    Returns:
        Pairs ``(a, b)``, ``a < b``; each value in at most one pair (the closest mirror
        match first).

    Shape:
        (X, Y, Z) → list of pairs.
    """
    label = np.asarray(label)
    width = float(label.shape[0])
    centre = (width - 1.0) / 2.0
    present = [int(v) for v in np.unique(label) if v != 0]
    if values is not None:
        present = [v for v in present if v in {int(w) for w in values}]
    stats = {}
    for v in present:
        x = np.nonzero(label == v)[0]
        stats[v] = (x.size, float(x.mean()))
    candidates = []
    for i, a in enumerate(present):
        for b in present[i + 1 :]:
            (na, xa), (nb, xb) = stats[a], stats[b]
            if max(na, nb) > MAX_VOLUME_RATIO * min(na, nb):
                continue
            if (xa - centre) * (xb - centre) >= 0:
                continue
            if min(abs(xa - centre), abs(xb - centre)) < MIN_SIDE_OFFSET * width:
                continue
            miss = abs((2.0 * centre - xa) - xb) / width
            if miss <= MIRROR_TOLERANCE:
                candidates.append((miss, a, b))
    pairs, used = [], set()
    for _, a, b in sorted(candidates):
        if a not in used and b not in used:
            pairs.append((a, b))
            used |= {a, b}
    return pairs


def mirrored_label(label: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """The label map flipped left-right with each pair's values swapped; others 0.

    Shape:
        (X, Y, Z) → (X, Y, Z).
    """
    flipped = np.flip(np.asarray(label), 0)
    out = np.zeros_like(flipped)
    for a, b in pairs:
        out[flipped == a] = b
        out[flipped == b] = a
    return out


def mirrored_map(shape: tuple[int, ...], to: np.ndarray | None, box: tuple[int, ...]) -> np.ndarray:
    """The voxel map of a left-right flipped scan into the reference's flipped box.

    A voxel ``i`` of the flipped scan is voxel ``X - 1 - i`` of the scan; ``to`` (None:
    the identity, a scan on the reference's own grid) takes it into the reference's
    grid, and the reference's left-right reflection brings it to the mirrored side.

    Shape:
        (X, Y, Z), (4, 4) or None, (X', Y', Z') → (4, 4).
    """
    flip = np.eye(4)
    flip[0, 0], flip[0, 3] = -1.0, float(shape[0] - 1)
    reflect = np.eye(4)
    reflect[0, 0], reflect[0, 3] = -1.0, float(box[0] - 1)
    return reflect @ (np.eye(4) if to is None else np.asarray(to, np.float64)) @ flip
