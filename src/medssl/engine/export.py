"""Exported weights of a finished run: ``RUN/model.pt`` and ``RUN/encoder.pt``.

Both are medssl weights files written by :func:`medssl.models.save_weights`
(``arch``, ``config``, ``part``, ``medssl_version``, ``extra``, ``state_dict``), written
from the same network state. The architecture is the one the network recorded when
:func:`medssl.models.create_model` built it, wrappers included, so
:func:`medssl.models.load_model` rebuilds either file from its path alone. ``extra``
holds the method's ``export_metadata`` (what inference needs: preset, threshold,
window, classes) and the run's method, step and checkpoint. ``encoder.pt`` comes from
the method's ``encoder_of(model)`` hook; it loads into any network built on the same
encoder. A network not built by ``create_model`` (a test's own module) is written as
the same dict with ``arch`` and ``config`` as given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from medssl.io.atomic import atomic_path


def _save(
    path: Path,
    module: torch.nn.Module,
    *,
    arch: str,
    config: dict[str, Any],
    part: str,
    extra: dict[str, Any],
) -> Path:
    from medssl.models import recorded_architecture, save_weights

    recorded = recorded_architecture(module, part=part)
    if recorded is not None:
        return save_weights(path, module, part=part, extra=extra)  # type: ignore[arg-type]
    import medssl

    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    payload = {
        "format": "medssl-weights",
        "format_version": 2,
        "arch": arch,
        "config": config,
        "part": part,
        "medssl_version": medssl.__version__,
        "extra": extra,
        "state_dict": state,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def export_weights(
    model: torch.nn.Module,
    method: Any,
    run_dir: str | Path,
    *,
    arch: str,
    config: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> list[Path]:
    """Write ``model.pt`` and, when there is an encoder, ``encoder.pt``, from one state.

    Args:
        model: The trained (unwrapped) network, in the state to export.
        method: The :class:`~medssl.methods.Method` (``encoder_of`` picks the encoder,
            ``export_metadata`` gives what inference needs).
        run_dir: Run folder.
        arch: Model name recorded for a network that records no architecture.
        config: Its constructor arguments.
        extra: Plain data kept in the files (method name, step, checkpoint).

    Returns:
        The paths written.
    """
    from medssl.models import unwrap_model

    run_dir, model = Path(run_dir), unwrap_model(model)
    extra = {**method.export_metadata(model), **(extra or {})}
    written = [
        _save(run_dir / "model.pt", model, arch=arch, config=config, part="model", extra=extra)
    ]
    encoder = method.encoder_of(model)
    if encoder is not None:
        written.append(
            _save(
                run_dir / "encoder.pt",
                encoder,
                arch=arch,
                config=config,
                part="encoder",
                extra=extra,
            )
        )
    return written
