"""``transfer_files``: label query scans on disk from labelled support scans on disk.

The supports are read and checked here (their label on the image's grid, with
foreground, every ``--labels`` value present) and form the predictor's database;
everything about the queries (output names, overwrite protection, validation before
anything is written, ``continue_on_error``, progress, the device, writing in the
query's grid) is the inference loop's (:func:`~medssl.inference.loop.run_inference`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from medssl.errors import MedsslError

#: ``--model`` name of the atlas-registration baseline.
REGISTER = "register"


def build_transfer(
    model: str | Path,
    *,
    k: int = 21,
    labels: Sequence[int] | None = None,
    upsample: str = "interp",
    exact_limit: int | None = None,
):
    """The k-NN transfer of a context model or baseline, or the registration baseline.

    Raises:
        MedsslError: An unknown model name (listing the valid ones) or bad options.
    """
    if str(model) == REGISTER:
        from medssl.methods.context.register import RegistrationTransfer

        return RegistrationTransfer(labels=labels)
    from medssl.methods.context.describers import load_describer, valid_models
    from medssl.methods.context.transfer import LabelTransfer

    try:
        describer = load_describer(model)
    except MedsslError as exc:
        if "unknown model" in str(exc):
            names = ", ".join(sorted([*valid_models(), REGISTER]))
            raise MedsslError(
                f"unknown model '{model}': not a file and not one of {names}"
            ) from None
        raise
    from medssl.methods.context.transfer import EXACT_LIMIT

    limit = EXACT_LIMIT if exact_limit is None else exact_limit
    return LabelTransfer(describer, k=k, upsample=upsample, labels=labels, exact_limit=limit)


def transfer_files(
    queries: Sequence[str | Path],
    supports: Sequence[tuple[str | Path, str | Path]],
    model: str | Path,
    out_dir: str | Path,
    *,
    k: int = 21,
    labels: Sequence[int] | None = None,
    upsample: str = "interp",
    exact_limit: int | None = None,
    device: str | None = "auto",
    continue_on_error: bool = False,
    progress: bool = True,
    series: str | None = None,
) -> list[Path]:
    """Write one label map per query into ``out_dir`` (names: :mod:`medssl.inference.outputs`).

    Args:
        queries: Query images (files or DICOM folders).
        supports: (image, label) paths.
        model: A context model name or weights file (see
            :func:`~medssl.methods.context.describers.load_describer`), or ``register``.
        out_dir: Output folder (created).
        k: Neighbours per vote.
        labels: Label values to transfer; None: every support label.
        upsample: ``interp`` or ``nearest``.
        exact_limit: Largest database searched exactly.
        device: ``auto``, ``cpu`` or ``cuda`` for the descriptor networks.
        continue_on_error: Skip failing queries, then raise
            :class:`~medssl.inference.loop.BatchError`.
        progress: Show progress.
        series: The SeriesInstanceUID to read from DICOM folders holding several.

    Returns:
        The written files.

    Raises:
        MedsslError: On any bad input (one line naming the file and the rule).
        FileNotFoundError: A missing support file.
    """
    from medssl.inference.device import resolve_device
    from medssl.inference.loop import run_inference
    from medssl.inference.outputs import check_outputs, plan_outputs
    from medssl.io import read_image, read_label
    from medssl.methods.context.predictor import TransferPredictor

    if not queries:
        raise MedsslError("transfer needs at least one query image")
    if not supports:
        raise MedsslError("transfer needs at least one --support IMAGE LABEL")
    protected = [Path(p) for pair in supports for p in pair]
    for path in protected:
        if not path.exists():
            raise FileNotFoundError(f"support file not found: {path}")
    jobs = plan_outputs(queries, out_dir)
    check_outputs(jobs, protected=protected)
    dev = resolve_device(device)
    transfer = build_transfer(model, k=k, labels=labels, upsample=upsample, exact_limit=exact_limit)
    transfer.to(dev)
    for image_path, label_path in supports:
        transfer.add_support(read_image(image_path), read_label(label_path))
    transfer.build()
    report = run_inference(
        jobs,
        TransferPredictor(transfer).to(dev),
        continue_on_error=continue_on_error,
        progress=progress,
        description="transfer",
        protected=protected,
        series=series,
    )
    return report.written
