"""The inference loop: read → preprocess → predict → invert → write, for every command.

``medssl segment`` (layer decomposition, the z-score baseline), ``medssl predict``
(fine-tuned networks), ``medssl transfer`` (k-NN label transfer) and the experiment
cells all run :func:`run_inference` with
their own :class:`~medssl.inference.predictor.Predictor`. The loop owns what must be
the same everywhere:

1. **Outputs** are planned and checked first (:mod:`medssl.inference.outputs`): unique
   names, never an input file.
2. **Every input is validated up front**, before anything is written: the grids of
   its preprocessing are checked against the memory limit from its header
   (:mod:`medssl.preprocess.budget`), then it is read (the predictor's channel of a
   4D image) and checked by the predictor (e.g. an
   all-zero scan). The first problem stops the batch, naming the file and how many
   other inputs fail; with ``continue_on_error`` the failing inputs are skipped.
   Images read here are kept for step 3 while they fit in :data:`KEEP_BYTES`.
3. Each case is predicted (:func:`~medssl.inference.predictor.predict_image`), its
   arrays checked to be in the input's exact grid, and written atomically with that
   grid; ``on_case`` may write more (figures).
4. Progress: a bar on a terminal, a line every few cases otherwise.
5. With ``continue_on_error``, a case that fails is reported and the rest go on; at
   the end the failures are listed and :class:`BatchError` is raised (non-zero exit).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medssl.errors import MedsslError
from medssl.inference.outputs import Job, check_outputs
from medssl.inference.predictor import Prediction, Predictor, pipeline_of, predict_image
from medssl.io import Image

#: Images read during validation are kept for the prediction pass up to this size.
KEEP_BYTES = 1 << 30


class BatchError(MedsslError):
    """Some inputs of a ``continue_on_error`` batch failed; the others were written.

    Attributes:
        failures: ``(input, reason)`` of each failed input.
        written: The masks that were written.
    """

    def __init__(self, message: str, failures: list[tuple[str, str]], written: list[Path]):
        super().__init__(message)
        self.failures, self.written = failures, written


@dataclass
class CaseResult:
    """One finished case, as given to ``on_case``."""

    job: Job
    image: Image
    prediction: Prediction


@dataclass
class Report:
    """What a run of the loop did.

    Attributes:
        written: Mask files written, in input order.
        results: The finished cases (kept only with ``keep_results``).
        failures: ``(input, reason)`` of inputs that failed (``continue_on_error``).
    """

    written: list[Path] = field(default_factory=list)
    results: list[CaseResult] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def _read(job: Job, predictor: Predictor, series: str | None = None) -> tuple[Image, list[str]]:
    from medssl.io import read_geometry, read_image

    if not Path(job.source).exists():
        raise MedsslError(f"input image not found: {job.source}")
    pipeline_of(predictor).check_size(read_geometry(job.source, series=series))
    image = read_image(job.source, channel=predictor.channel, series=series)
    return image, predictor.check(image)


def validate_inputs(
    jobs: Sequence[Job],
    predictor: Predictor,
    *,
    continue_on_error: bool = False,
    warn: Callable[[str], None] | None = None,
    keep: dict[int, Image] | None = None,
    series: str | None = None,
) -> list[tuple[str, str]]:
    """Read and check every input; return the failures (``continue_on_error``).

    Args:
        jobs: The inputs.
        predictor: Its channel and :meth:`~Predictor.check` apply.
        continue_on_error: Return the failures instead of raising.
        warn: Receives the predictor's warnings.
        keep: Filled with the images read, by job index, while they fit in
            :data:`KEEP_BYTES` (they are not read again).
        series: The SeriesInstanceUID to read from DICOM folders holding several.

    Raises:
        MedsslError: Without ``continue_on_error``, the first failure (and how many
            other inputs fail).
    """
    failures = []
    kept = 0
    for index, job in enumerate(jobs):
        try:
            image, notes = _read(job, predictor, series)
        except MedsslError as exc:
            failures.append((str(job.source), str(exc)))
            continue
        if keep is not None and kept + image.array.nbytes <= KEEP_BYTES:
            keep[index] = image
            kept += image.array.nbytes
        for note in notes:
            (warn or stderr_warning)(note)
    if failures and not continue_on_error:
        more = len(failures) - 1
        tail = f" (and {more} more failing input{'s' if more > 1 else ''})" if more else ""
        raise MedsslError(failures[0][1] + tail)
    return failures


def check_output_folders(jobs: Sequence[Job]) -> None:
    """Refuse output folders that are files or read-only, before any work (creates none).

    Raises:
        MedsslError: Naming the folder and the rule
            (:func:`~medssl.io.atomic.check_writable_folder`).
    """
    from medssl.io.atomic import check_writable_folder

    for folder in sorted({p.parent for job in jobs for p in job.paths()}):
        check_writable_folder(folder, what="output folder")


def _predict(predictor: Predictor, image: Image, job: Job) -> Prediction:
    """:func:`predict_image`, with running out of memory as a one-line error."""
    try:
        return predict_image(predictor, image)
    except MemoryError:
        raise MedsslError(
            f"out of memory predicting {job.source} (grid {image.geometry.shape}) on "
            f"{predictor.device}"
        ) from None
    except RuntimeError as exc:
        if "out of memory" not in str(exc):
            raise
        raise MedsslError(
            f"out of memory predicting {job.source} (grid {image.geometry.shape}) on "
            f"{predictor.device}; try --device cpu, or free the GPU"
        ) from None


def stderr_warning(text: str) -> None:
    """Print ``medssl: warning: TEXT`` on stderr (the loop's default ``warn``)."""
    print(f"medssl: warning: {text}", file=sys.stderr)


def run_inference(
    jobs: Sequence[Job],
    predictor: Predictor,
    *,
    continue_on_error: bool = False,
    progress: bool = True,
    description: str = "predict",
    warn: Callable[[str], None] | None = None,
    on_case: Callable[[CaseResult], None] | None = None,
    keep_results: bool = False,
    protected: Sequence[str | Path] = (),
    series: str | None = None,
) -> Report:
    """Predict every job's input and write its mask (and extras) in the input's grid.

    Args:
        jobs: Inputs and output paths (:func:`~medssl.inference.outputs.plan_outputs`).
        predictor: How to predict; already on its device.
        continue_on_error: Skip failing inputs, then raise :class:`BatchError`.
        progress: Show progress (bar on a terminal, lines otherwise).
        description: Name of the task in progress lines.
        warn: Receives warning lines (default: ``medssl: warning:`` on stderr).
        on_case: Called after each case's mask is written (may write ``job.extras``).
        keep_results: Keep every :class:`CaseResult` in the report (memory!).
        protected: Further inputs that must not be overwritten.
        series: The SeriesInstanceUID to read from DICOM folders holding several
            (``--series UID``).

    Returns:
        The :class:`Report`.

    Raises:
        MedsslError: Colliding outputs, an output onto an input, a bad input (before
            anything is written) or a failed case.
        BatchError: With ``continue_on_error``, after the batch, if any input failed.
    """
    from medssl.io import ensure_writable_dir, write_image
    from medssl.progress import track_logged

    if not jobs:
        raise MedsslError("no input images given")
    check_outputs(jobs, protected=protected)
    check_output_folders(jobs)
    report, kept = Report(), {}
    report.failures = validate_inputs(
        jobs, predictor, continue_on_error=continue_on_error, warn=warn, keep=kept, series=series
    )
    failed = {source for source, _ in report.failures}
    todo = [(i, job) for i, job in enumerate(jobs) if str(job.source) not in failed]
    for folder in sorted({p.parent for _, job in todo for p in job.paths()}):
        ensure_writable_dir(folder)
    iterator = track_logged(todo, description) if progress and todo else todo
    for index, job in iterator:
        try:
            image = kept.pop(index) if index in kept else _read(job, predictor, series)[0]
            prediction = _predict(predictor, image, job)
            report.written.append(write_image(prediction.mask, image.geometry, job.target))
            for name, array in prediction.maps.items():
                if name in job.extras:
                    write_image(array, image.geometry, job.extras[name])
            result = CaseResult(job, image, prediction)
            if on_case is not None:
                on_case(result)
            if keep_results:
                report.results.append(result)
        except MedsslError as exc:
            if not continue_on_error:
                raise
            report.failures.append((str(job.source), str(exc)))
    if report.failures:
        for source, reason in report.failures:
            print(f"medssl: failed input {source}: {reason}", file=sys.stderr)
        n, total = len(report.failures), len(jobs)
        raise BatchError(
            f"{n} of {total} inputs failed (listed above); wrote {len(report.written)} "
            f"mask(s)", report.failures, report.written
        )  # fmt: skip
    return report
