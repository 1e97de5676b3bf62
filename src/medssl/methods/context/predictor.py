"""Label transfer as a :class:`~medssl.inference.predictor.Predictor` of the inference loop.

``medssl transfer`` runs :func:`~medssl.inference.loop.run_inference` like ``segment``
and ``predict``: the loop names and protects the outputs, validates every query,
reads it, and writes the label map in the query's exact grid; this predictor holds
the support database (:class:`~medssl.methods.context.transfer.LabelTransfer`, or the
registration baseline :class:`~medssl.methods.context.register.RegistrationTransfer`)
and labels each query on the context grid; the loop inverts the preprocessing.
"""

from __future__ import annotations

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
