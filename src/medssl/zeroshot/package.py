"""Packaging a layer-decomposition run's model as a self-contained, shippable file."""

from __future__ import annotations

from pathlib import Path

from medssl.inference.ld_model import hu_range, load_ld_model
from medssl.methods.ld.presets import LDPreset


def package_weights(
    source: str | Path,
    dest: str | Path,
    *,
    preset: LDPreset | None = None,
    checkpoint: str | Path | None = None,
    threshold: float | None = None,
    grow_threshold: float | None = None,
    min_volume_mm3: float | None = None,
    min_share: float | None = None,
    organ_hu_range: tuple[float, float] | None = None,
) -> Path:
    """Copy an ``ld`` run's ``model.pt`` to ``dest`` with its preset stored inside.

    The result is self-contained (no ``config.yaml`` needed), as a shipped model must be.

    Args:
        source: The run's ``model.pt`` (its network, method and, unless ``preset`` is
            given, its stored preset).
        dest: The file to write.
        preset: Override of the stored preset.
        checkpoint: A checkpoint of the same run (e.g. ``checkpoints/best.pt``, selected
            on simulated validation samples) whose weights replace the final ones.
        threshold: The mask threshold to store as the model's default, chosen without
            labels (``scripts/select_threshold.py``); none keeps 0.5.
        grow_threshold: The hysteresis grow threshold to store, chosen without labels
            (``scripts/select_mask_rule.py``); none: a plain threshold.
        min_volume_mm3: The smallest component kept, mm³, chosen without labels (same
            script); none: the library's default.
        min_share: Components under this share of the largest are dropped, in [0, 1),
            chosen without labels (same script); none: no such filter.
        organ_hu_range: For a CT organ model, the organ median HU its training covered
            (``randomise.phase_organ_hu_range``); ``medssl segment --roi`` then notes a
            scan whose organ lies outside it.

    Raises:
        MedsslError: As :func:`load_ld_model`; a checkpoint of another run; a threshold
            or grow threshold outside (0, 1).
    """
    from medssl.errors import MedsslError
    from medssl.models import load_weights, save_weights

    if threshold is not None and not 0.0 < float(threshold) < 1.0:
        raise MedsslError(f"threshold must be in (0, 1); got {threshold}")
    if grow_threshold is not None and not 0.0 < float(grow_threshold) < 1.0:
        raise MedsslError(f"grow threshold must be in (0, 1); got {grow_threshold}")
    if min_volume_mm3 is not None and not float(min_volume_mm3) >= 0.0:
        raise MedsslError(f"min_volume_mm3 must be >= 0; got {min_volume_mm3}")
    if min_share is not None and not 0.0 <= float(min_share) < 1.0:
        raise MedsslError(f"min_share must be in [0, 1); got {min_share}")
    organ_hu_range = hu_range(organ_hu_range)

    loaded = load_ld_model(source, preset=preset)
    wf = load_weights(loaded.path)
    extra = dict(wf.extra) | {"ld": loaded.preset.to_dict()}
    model = loaded.model
    if checkpoint is not None:
        from medssl.engine.checkpoint import load_checkpoint, load_model_state

        state = load_checkpoint(
            checkpoint, method="ld", model=wf.arch, model_kwargs=dict(wf.config)
        )
        load_model_state(model, state["model_state"], checkpoint)
        extra |= {
            "step": int(state["step"]),
            "checkpoint": Path(checkpoint).name,
            "val_loss": state.get("best_val"),
        }
    if threshold is not None:
        extra["threshold"] = float(threshold)
    if grow_threshold is not None:
        extra["grow_threshold"] = float(grow_threshold)
    if min_volume_mm3 is not None:
        extra["min_volume_mm3"] = float(min_volume_mm3)
    if min_share is not None:
        extra["min_share"] = float(min_share)
    if organ_hu_range is not None:
        extra["organ_hu_range"] = list(organ_hu_range)
    return save_weights(dest, model, arch=wf.arch, config=wf.config, extra=extra)
