"""The preprocessing of a fine-tuning run when the user names no preset: by modality.

CT and MR need different intensity steps (a Hounsfield window against a z-score inside
the foreground), so the preset follows the data:

1. ``--modality ct|mr`` when given;
2. else the records' ``modality`` column (CSV, dataset.json), when every record names
   a known modality and all agree;
3. else the intensity range of the first training image: CT in Hounsfield units
   holds air near -1000, so a minimum below :data:`CT_MIN_HU` means CT.

The chosen preset gets the fine-tuning defaults (2 mm, fitted to 96³) under the user's
own options (``target_spacing``, ``grid``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from medssl.errors import MedsslError

CT_MIN_HU = -500.0
DEFAULTS: dict[str, Any] = {"target_spacing": 2.0, "grid": 96}


def data_modality(records: Sequence, *, channel: int | None = None) -> tuple[str, str]:
    """The modality kind (``ct`` or ``mr``) of the records, and how it was found.

    Raises:
        MedsslError: Records that name both CT and MR.
    """
    from medssl.preprocess.presets import modality_kind

    kinds = {modality_kind(r.modality) for r in records}
    if None not in kinds and len(kinds) == 1:
        return kinds.pop(), "the data's modality column"
    known = sorted(k for k in kinds if k is not None)
    if len(known) > 1:
        mixed = sorted({str(r.modality) for r in records if r.modality})
        raise MedsslError(
            f"the training data mixes CT and MR ({', '.join(mixed)}); one preprocessing "
            "preset needs one modality: give --preset or split the data"
        )
    import numpy as np

    from medssl.io import read_image

    first = records[0].image
    low = float(np.min(read_image(first, channel=channel, series=records[0].series).array))
    kind = "ct" if low < CT_MIN_HU else "mr"
    return kind, f"the intensity range of {first} (minimum {low:.4g})"


def choose_preprocess(
    preprocess: dict[str, Any],
    records: Sequence,
    *,
    modality: str | None = None,
    channel: int | None = None,
) -> dict[str, Any]:
    """The pipeline config of a run: ``preprocess`` itself when it names a preset or
    steps, else the modality's preset with the defaults and ``preprocess``'s options.

    Args:
        preprocess: The run's preprocessing options (may be empty).
        records: The training records (their modality column or first image decide).
        modality: ``"ct"`` or ``"mr"`` to skip the detection.
        channel: Channel of 4D images.

    Raises:
        MedsslError: An unknown ``modality``, or records mixing CT and MR.
    """
    from medssl.preprocess.presets import preset_for_modality

    if "preset" in preprocess or "steps" in preprocess:
        return dict(preprocess)
    if modality is not None:
        kind = str(modality).strip().lower()
        kind = {"mri": "mr"}.get(kind, kind)
        if kind not in ("ct", "mr"):
            raise MedsslError(f"--modality must be 'ct' or 'mr'; got '{modality}'")
    else:
        kind, _ = data_modality(records, channel=channel)
    return {"preset": preset_for_modality(kind), **DEFAULTS, **preprocess}


def check_preprocess(preprocess: dict[str, Any]) -> None:
    """Check a preprocessing config before any data is read.

    With a preset (or steps) the pipeline is built; without one, the options must fit
    the preset of at least one modality.

    Raises:
        MedsslError: The first error of building the pipeline.
    """
    from medssl.preprocess import Pipeline
    from medssl.preprocess.presets import MODALITY_PRESETS

    if not isinstance(preprocess, dict):
        raise MedsslError(f"preprocess must be a mapping; got {preprocess!r}")
    if "preset" in preprocess or "steps" in preprocess:
        Pipeline.from_config(dict(preprocess))
        return
    first: MedsslError | None = None
    for name in dict.fromkeys(MODALITY_PRESETS.values()):
        try:
            Pipeline.from_config({"preset": name, **DEFAULTS, **preprocess})
            return
        except MedsslError as exc:
            first = first or exc
    if first is not None:
        raise first
