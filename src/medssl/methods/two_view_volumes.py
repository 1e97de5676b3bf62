"""Training volumes of BYOL and PGL: CT windowed to [-1024, 325] HU, MRI z-scored.

With the preprocessing preset ``auto``, CT records go through ``ct_pgl`` (the HU
window of Xie et al., "PGL", 2020) and the others through ``mri``; the views then
z-score each volume (:mod:`medssl.views.pgl`). Any other preset applies to every record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from medssl.data.volumes import VolumeOptions, Volumes, load_volumes, modality_name


class JoinedVolumes:
    """Picklable loader over several loaders, indexed one after the other."""

    def __init__(self, parts: Sequence[Volumes]) -> None:
        self.index = [(k, i) for k, part in enumerate(parts) for i in range(part.n_volumes)]
        self.loaders = [part.loader for part in parts]

    def __call__(self, index: int) -> np.ndarray:
        part, i = self.index[index]
        return self.loaders[part](i)


def load_two_view_volumes(records: Sequence[Any], options: VolumeOptions) -> Volumes:
    """Preprocess every record (through the cache): CT with ``ct_pgl``, MRI with ``mri``.

    Raises:
        MedsslError: As :func:`~medssl.data.volumes.load_volumes`.
    """
    records = list(records)
    if options.preset != "auto" or not records:
        return load_volumes(records, options)
    ct = [r for r in records if modality_name(getattr(r, "modality", None)) == "ct"]
    other = [r for r in records if modality_name(getattr(r, "modality", None)) != "ct"]
    parts = []
    if ct:
        parts.append(load_volumes(ct, replace(options, preset="ct_pgl")))
    if other:
        parts.append(load_volumes(other, replace(options, preset="mri")))
    if len(parts) == 1:
        return parts[0]
    return Volumes(
        JoinedVolumes(parts),
        sum(p.n_volumes for p in parts),
        [m for p in parts for m in p.modalities],
        [i for p in parts for i in p.ids],
    )
