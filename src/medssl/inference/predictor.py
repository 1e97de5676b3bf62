"""The predictor seam of the inference loop: preprocess → predict → invert for one scan.

A :class:`Predictor` says how a scan is prepared (its :class:`~medssl.preprocess.Pipeline`,
possibly empty), what it predicts on that grid (:meth:`Predictor.predict`) and how the
maps, once mapped back to the scan's own grid, become the final answer
(:meth:`Predictor.finish`). :func:`predict_image` runs those steps and checks that
every array lands in the input's exact grid. Reading, naming, writing and batch
handling are the loop's (:mod:`medssl.inference.loop`).

Predictors: layer decomposition (:class:`medssl.inference.ld.LDPredictor`), the z-score
threshold baseline (:class:`medssl.inference.zscore.ZScorePredictor`) and fine-tuned
segmentation networks (:class:`medssl.segmentation.predict.SegmentationPredictor`) and
k-NN label transfer (:class:`medssl.inference.transfer.TransferPredictor`). A new one is
one subclass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.io import Image, check_same_grid


@dataclass
class NetOutput:
    """What a predictor computes on the preprocessed grid.

    Attributes:
        maps: Named arrays on the preprocessed grid, each (X, Y, Z).
        labels: Names of the maps that hold labels (mapped back with nearest
            neighbours); the others are continuous (linear interpolation).
        net: Arrays kept on the network grid for figures (not mapped back).
    """

    maps: dict[str, np.ndarray]
    labels: tuple[str, ...] = ()
    net: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Prediction:
    """The answer for one scan, in the scan's own grid.

    Attributes:
        mask: The label map written as the output (integer values).
        maps: Further arrays the loop may write beside it as ``<stem>_<name>.nii.gz``.
        net: Arrays on the preprocessed grid, for figures.
        spacing: Voxel size of the preprocessed grid (mm; set by :func:`predict_image`).
        summary: Plain numbers about the answer (e.g. volume, components), for reports.

    Shape:
        ``mask`` and every ``maps`` value: the input's (X, Y, Z).
    """

    mask: np.ndarray
    maps: dict[str, np.ndarray] = field(default_factory=dict)
    net: dict[str, np.ndarray] = field(default_factory=dict)
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)
    summary: dict[str, Any] = field(default_factory=dict)


class Predictor(ABC):
    """One way of turning a scan into a mask; plugged into :func:`predict_image`.

    Subclasses set :attr:`pipeline` and implement :meth:`predict`; they may override
    :meth:`check`, :meth:`finish` and :meth:`to`.

    Attributes:
        name: Short name used in messages.
        pipeline: The preprocessing; an empty pipeline works on the scan as it is.
        channel: Channel read from 4D inputs (``None``: inputs must be 3D).
        device: Where the network runs (``"cpu"`` when it has none).
    """

    name: str = "predictor"
    pipeline: Any = None
    channel: int | None = None
    device: str = "cpu"

    def to(self, device: str) -> Predictor:
        """Move the predictor's network (if any) to ``device``; returns itself."""
        self.device = str(device)
        return self

    def organ(self, image: Image) -> Image | None:
        """The organ mask the preprocessing measures in (on ``image``'s grid), or None."""
        return None

    def check(self, image: Image) -> list[str]:
        """Reject a scan the predictor cannot use; return warnings about doubtful ones.

        Called for every input before anything is written.

        Raises:
            MedsslError: A scan the predictor cannot use (the message names its file).
        """
        return []

    @abstractmethod
    def predict(self, sample: Any) -> NetOutput:
        """Predict on the preprocessed grid (``sample`` is a :class:`~medssl.preprocess.Sample`)."""

    def finish(self, image: Image, maps: dict[str, np.ndarray], out: NetOutput) -> Prediction:
        """Turn the maps, back in the input's grid, into the :class:`Prediction`.

        The default takes the single label map (or the first map) as the mask.
        """
        name = out.labels[0] if out.labels else next(iter(maps))
        return Prediction(mask=maps[name], net=out.net)


def pipeline_of(predictor: Predictor):
    """The predictor's preprocessing (an empty pipeline when it has none)."""
    from medssl.preprocess import Pipeline

    return predictor.pipeline if predictor.pipeline is not None else Pipeline([])


def predict_image(predictor: Predictor, image: Image) -> Prediction:
    """Preprocess ``image``, predict, map every output back and finish it.

    Returns:
        The prediction, every array of it on ``image``'s grid.

    Raises:
        MedsslError: From the pipeline or predictor, or (a bug) an output that does not
            land in the input's grid.
    """
    from medssl.preprocess import Pipeline

    sample = pipeline_of(predictor).apply(image, roi=predictor.organ(image))
    check_same_grid(image.geometry, sample.source_geometry, what="inverted grid")
    out = predictor.predict(sample)
    back: dict[str, np.ndarray] = {}
    continuous = [k for k in out.maps if k not in out.labels]
    if continuous:  # one pass through the inverse for all continuous maps
        stacked = np.stack([np.asarray(out.maps[k], dtype=np.float32) for k in continuous])
        inverted = Pipeline.invert(stacked, sample.record, is_label=False)
        back |= {k: inverted[i].astype(np.float32) for i, k in enumerate(continuous)}
    for k in out.labels:
        values = np.asarray(out.maps[k])
        back[k] = Pipeline.invert(values, sample.record, is_label=True).astype(values.dtype)
    prediction = predictor.finish(image, back, out)
    prediction.spacing = tuple(float(s) for s in sample.spacing)  # type: ignore[assignment]
    shape = tuple(image.geometry.shape)
    for key, array in {"mask": prediction.mask, **prediction.maps}.items():
        if tuple(np.shape(array)) != shape:
            raise MedsslError(
                f"{predictor.name} predicted '{key}' of shape {np.shape(array)}, not the input "
                f"grid {shape} of {image.geometry.source}"
            )
    return prediction
