"""Label transfer in the inference loop: ``medssl transfer``.

``medssl transfer`` runs :func:`~medssl.inference.loop.run_inference` like ``segment``
and ``predict``: the loop names and protects the outputs, validates every query,
reads it, and writes the label map in the query's exact grid, with
``continue_on_error``, progress and the device. :class:`TransferPredictor` holds the
support database (:class:`~medssl.methods.context.transfer.LabelTransfer`, or the
registration baseline :class:`~medssl.methods.context.register.RegistrationTransfer`)
and labels each query on the context grid; the loop inverts the preprocessing.
:func:`transfer_files` reads and checks the supports (their label on the image's grid,
with foreground, every ``--labels`` value present) before any query is labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.inference.predictor import NetOutput, Predictor
from medssl.io import Image
from medssl.methods.context.transfer import MIN_SIDE_MM


class TransferPredictor(Predictor):
    """k-NN label transfer (or registration) from labelled supports, per query.

    Args:
        transfer: A :class:`~medssl.methods.context.transfer.LabelTransfer` or
            :class:`~medssl.methods.context.register.RegistrationTransfer` holding the
            supports; its ``pipeline`` is the preprocessing, its ``predict_sample``
            the prediction step.
    """

    name = "label transfer"

    def __init__(self, transfer: Any) -> None:
        self.transfer = transfer
        self.pipeline = transfer.pipeline
        self.seconds: dict[str, float] = {}

    def to(self, device: str) -> TransferPredictor:
        """Run the descriptor networks on ``device``; returns itself."""
        self.device = str(device)
        self.transfer.to(self.device)
        return self

    def check(self, image: Image) -> list[str]:
        """Refuse a query that is not 3D or is physically smaller than the patches.

        Raises:
            MedsslError: Naming the file and the rule.
        """
        shape = np.shape(image.array)
        if len(shape) != 3:
            raise MedsslError(f"query {image.geometry.source} must be 3D; got shape {shape}")
        sides = np.asarray(shape) * np.asarray(image.geometry.spacing, dtype=float)
        if float(sides.min()) < MIN_SIDE_MM:
            raise MedsslError(
                f"query {image.geometry.source} is too small for the context patches: "
                f"{float(sides.min()):.0f} mm on its shortest side; at least "
                f"{MIN_SIDE_MM:.0f} mm needed"
            )
        return []

    def predict(self, sample: Any) -> NetOutput:
        """Label values on the context grid (mapped back to the query's grid by the loop)."""
        labels = self.transfer.predict_sample(sample)
        self.seconds = dict(getattr(self.transfer, "seconds", {}))
        return NetOutput(maps={"labels": labels}, labels=("labels",))


#: ``--model`` name of the atlas-registration baseline.
REGISTER = "register"


def build_transfer(
    model: str | Path,
    *,
    k: int = 21,
    labels: Sequence[int] | None = None,
    upsample: str = "interp",
    exact_limit: int | None = None,
    vote=None,
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
    return LabelTransfer(
        describer, k=k, upsample=upsample, labels=labels, exact_limit=limit, vote=vote
    )


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
    vote=None,
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
        vote: How the neighbours vote
            (:class:`~medssl.methods.context.transfer.Vote`; None: the default).
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
    transfer = build_transfer(
        model, k=k, labels=labels, upsample=upsample, exact_limit=exact_limit, vote=vote
    )
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
