"""Exported weights of a finished run: ``RUN/model.pt`` and ``RUN/encoder.pt``.

Both are medssl weights files written by :func:`medssl.models.save_weights`
(``arch``, ``config``, ``part``, ``medssl_version``, ``extra``, ``state_dict``), with
``extra`` recording the method and the step. ``encoder.pt`` comes from the method's
``encoder_of(model)`` hook, else from the network's ``encoder`` attribute; it loads
into any network built on the same encoder. A network that is not in the model
registry (a test's own module) is written as the same dict with ``arch`` left as given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from medssl.errors import MedsslError
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
    from medssl.models import model_names, save_weights

    if arch in model_names():
        try:
            return save_weights(path, module, arch=arch, config=config, part=part, extra=extra)
        except MedsslError:  # e.g. a method's module that is not a registered encoder
            pass
    import medssl

    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    payload = {
        "format": "medssl-weights",
        "format_version": 1,
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


def _encoder(model: torch.nn.Module, method: Any) -> torch.nn.Module | None:
    hook = getattr(method, "encoder_of", None)
    if hook is not None:
        return hook(model)
    from medssl.models import encoder_of

    try:
        return encoder_of(model)
    except MedsslError:
        return None


def export_weights(
    model: torch.nn.Module,
    method: Any,
    run_dir: str | Path,
    *,
    arch: str,
    config: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> list[Path]:
    """Write ``model.pt`` and, when there is an encoder, ``encoder.pt``.

    Args:
        model: The trained (unwrapped) network.
        method: The method (its optional ``encoder_of`` hook picks the encoder).
        run_dir: Run folder.
        arch: Registered model name recorded in the files.
        config: Model constructor arguments recorded in the files.
        extra: Plain data kept in the files (method name, step), completed by the
            method's optional ``export_metadata()``.

    Returns:
        The paths written.
    """
    run_dir, extra = Path(run_dir), dict(extra or {})
    metadata = getattr(method, "export_metadata", None)
    if metadata is not None:  # what inference needs from the file alone (e.g. ld's preset)
        extra |= metadata(model)
    written = [
        _save(run_dir / "model.pt", model, arch=arch, config=config, part="model", extra=extra)
    ]
    encoder = _encoder(model, method)
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
