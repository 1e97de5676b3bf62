"""The atlas-registration baseline: propagate support labels by elastix registration.

Each support image is registered to the query with itk-elastix (an affine then a
B-spline deformable stage, elastix's default parameter maps with Mattes mutual
information), both on the context grid (:mod:`.prep`: RAS, body crop, soft-tissue
window, 2 mm) and initialised by their centres of gravity. The support label follows
the same transform with nearest-neighbour interpolation. With several supports each
voxel takes the majority label (ties: the lowest label). The result is mapped back
to the query's own grid as in :class:`~medssl.methods.context.transfer.LabelTransfer`,
whose interface this class shares.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from medssl._optional import optional_import
from medssl.errors import MedsslError
from medssl.io import Image, check_same_grid
from medssl.methods.context.prep import SPACING_MM, context_pipeline
from medssl.methods.context.transfer import TransferResult
from medssl.preprocess import Pipeline


def _itk_image(itk, array: np.ndarray):
    image = itk.image_from_array(np.ascontiguousarray(array.transpose(2, 1, 0), np.float32))
    image.SetSpacing((SPACING_MM,) * 3)
    return image


def _parameters(itk, *, iterations: int, grid_mm: float):
    params = itk.ParameterObject.New()
    affine = params.GetDefaultParameterMap("affine", 3)
    affine["AutomaticTransformInitialization"] = ["true"]
    affine["AutomaticTransformInitializationMethod"] = ["CenterOfGravity"]
    affine["MaximumNumberOfIterations"] = [str(iterations)]
    bspline = params.GetDefaultParameterMap("bspline", 3, grid_mm)
    bspline["MaximumNumberOfIterations"] = [str(iterations)]
    params.AddParameterMap(affine)
    params.AddParameterMap(bspline)
    return params


class RegistrationTransfer:
    """Label propagation by affine + B-spline registration (itk-elastix).

    Args:
        labels: Label values to propagate (others become background); None: all.
        iterations: Optimiser iterations per resolution and stage.
        grid_mm: B-spline control-point spacing (mm).
    """

    def __init__(
        self,
        *,
        labels: Sequence[int] | None = None,
        iterations: int = 250,
        grid_mm: float = 20.0,
    ) -> None:
        self.wanted = None if labels is None else sorted({int(v) for v in labels})
        self.iterations, self.grid_mm = int(iterations), float(grid_mm)
        self.pipeline = context_pipeline()
        self._supports: list[tuple[np.ndarray, np.ndarray]] = []

    def add_support(self, image: Image, label: Image) -> None:
        """Keep a preprocessed support and its label.

        Raises:
            MedsslError: A label on another grid (naming both files), or no foreground.
        """
        check_same_grid(
            image.geometry, label.geometry, what="support label is not on its image's grid"
        )
        if not np.asarray(label.array).any():
            raise MedsslError(f"support label {label.geometry.source} has no foreground (all zero)")
        sample = self.pipeline.apply(image, label=label)
        values = np.asarray(sample.label).astype(np.int64)
        if self.wanted is not None:
            values = np.where(np.isin(values, self.wanted), values, 0)
        self._supports.append((sample.image, values))

    def build(self) -> None:
        """Check the requested labels against the supports.

        Raises:
            MedsslError: No support, or a requested label that no support has.
        """
        if not self._supports:
            raise MedsslError("registration needs at least one support scan with a label")
        if self.wanted is not None:
            present = set(np.unique(np.concatenate([np.unique(v) for _, v in self._supports])))
            missing = sorted(set(self.wanted) - present)
            if missing:
                raise MedsslError(f"label values {missing} are in no support label")

    def to(self, device: str) -> RegistrationTransfer:
        """elastix runs on the CPU whatever the device; returns itself."""
        return self

    def check_sample(self, sample) -> None:
        """Every preprocessed query is accepted (elastix needs no minimum size)."""

    def predict_sample(self, sample) -> np.ndarray:
        """Register every support to a query on the context grid and fuse the labels.

        Stage times are kept in :attr:`seconds`.

        Shape:
            ``sample.image`` (X, Y, Z) → (X, Y, Z), uint8 (int32 above 255).
        """
        itk = optional_import("itk")
        self.build()
        t0 = time.perf_counter()
        fixed = _itk_image(itk, sample.image)
        params = _parameters(itk, iterations=self.iterations, grid_mm=self.grid_mm)
        votes = []
        for image, label in self._supports:
            _, transform = itk.elastix_registration_method(
                fixed, _itk_image(itk, image), parameter_object=params, log_to_console=False
            )
            for i in range(transform.GetNumberOfParameterMaps()):
                transform.SetParameter(i, "FinalBSplineInterpolationOrder", "0")
            moved = itk.transformix_filter(_itk_image(itk, label.astype(np.float32)), transform)
            votes.append(np.rint(itk.array_from_image(moved)).astype(np.int64).transpose(2, 1, 0))
        stack = np.stack(votes)
        n_values = int(stack.max()) + 1
        counts = np.stack([(stack == v).sum(0) for v in range(n_values)])
        dtype = np.uint8 if n_values <= 256 else np.int32
        self.seconds = {"register": time.perf_counter() - t0}
        return counts.argmax(0).astype(dtype)

    def predict(self, query: Image) -> TransferResult:
        """Register every support to the query and fuse the propagated labels."""
        optional_import("itk")
        self.build()
        sample = self.pipeline.apply(query)
        fused = self.predict_sample(sample)
        labels = Pipeline.invert(fused, sample.record, is_label=True)
        return TransferResult(labels=labels.astype(fused.dtype, copy=False), seconds=self.seconds)
