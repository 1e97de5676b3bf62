"""Where the inference loop writes: one output name per input, never onto an input.

Names (:func:`plan_outputs`):

- an input file gives its case name plus its extension: ``OUT/case.nii.gz``. The case
  name is the file name without nnU-Net's channel suffix, ``_`` and four digits
  (``case_0000.nii.gz`` → ``case.nii.gz``, the case id of :mod:`medssl.data`), so
  ``medssl evaluate OUT labelsTr/`` pairs each mask with its label; ``.mhd`` and
  ``.nhdr`` inputs are written as ``.mha`` and ``.nrrd``;
- a DICOM folder (or a single ``.dcm`` file) gives ``<folder name>.nii.gz``;
- inputs that would share a name (``case1/flair.nii.gz``, ``case2/flair.nii.gz``) are
  named after their parent folders instead (``case1.nii.gz``, ``case2.nii.gz``);
- further products of a case are ``<stem>_<what>`` beside its mask (layers, panels).

Checks (:func:`check_outputs`), before anything is written: no two outputs share a
path, and no output is an input (or inside an input DICOM folder), whether reached by
the same path, a symbolic link or a hard link.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medssl.errors import MedsslError
from medssl.io import image_stem
from medssl.io.atomic import full_suffix

_WRITABLE = {".mhd": ".mha", ".nhdr": ".nrrd"}
_NIFTI_FROM = (".dcm", "")


@dataclass(frozen=True)
class Job:
    """One input and the files the loop may write for it.

    Attributes:
        source: The input file or DICOM folder.
        target: The mask file.
        extras: Further outputs by name (e.g. ``"normal"`` →
            ``OUT/case_normal.nii.gz``).
    """

    source: Path
    target: Path
    extras: dict[str, Path] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """The target's name without its image extension."""
        return image_stem(self.target)

    def paths(self) -> list[Path]:
        """Every path this job may write."""
        return [self.target, *self.extras.values()]


def case_name(path: str | Path) -> str:
    """The case name of an input: its stem without an nnU-Net channel suffix (``_0000``)."""
    from medssl.data.record import case_id

    path = Path(str(path).rstrip("/") or "/")
    if path.is_dir():
        return path.name
    return image_stem(path) if full_suffix(path) == ".dcm" else case_id(path)


def output_suffix(path: str | Path) -> str:
    """The extension of the mask of ``path``: its own, NIfTI for DICOM, .mha/.nrrd for headers."""
    path = Path(path)
    if path.is_dir() or full_suffix(path) in _NIFTI_FROM:
        return ".nii.gz"
    suffix = full_suffix(path)
    return _WRITABLE.get(suffix, suffix)


def plan_outputs(
    paths: Sequence[str | Path], out_dir: str | Path, *, extras: Iterable[str] = ()
) -> list[Job]:
    """One :class:`Job` per input, named as the module docstring says.

    Args:
        paths: The inputs, in order.
        out_dir: The output folder (not created here).
        extras: Names of further products: ``"normal"`` gives ``<stem>_normal.nii.gz``;
            a name with a dot keeps its extension (``"panel.png"`` →
            ``<stem>_panel.png``).

    Raises:
        MedsslError: An input given twice, or as :func:`check_outputs`.
    """
    out_dir = Path(out_dir)
    given: dict[Path, str | Path] = {}
    for path in paths:
        key = Path(path).resolve()
        if key in given:
            raise MedsslError(f"input {path} is given twice (also as {given[key]})")
        given[key] = path
    names = [case_name(p) for p in paths]
    counts = Counter(f"{n}{output_suffix(p)}" for n, p in zip(names, paths))
    jobs = []
    for path, name in zip(paths, names):
        suffix = output_suffix(path)
        if counts[f"{name}{suffix}"] > 1:
            parent = Path(str(path).rstrip("/")).resolve().parent.name
            name = parent or name
        jobs.append(
            Job(
                Path(path),
                out_dir / f"{name}{suffix}",
                {e: _extra(out_dir, name, e) for e in extras},
            )
        )
    check_outputs(jobs)
    return jobs


def _extra(out_dir: Path, stem: str, what: str) -> Path:
    return out_dir / (f"{stem}_{what}" if "." in what else f"{stem}_{what}.nii.gz")


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(jobs: Sequence[Job], *, protected: Iterable[str | Path] = ()) -> None:
    """Refuse outputs that collide with each other or with any input.

    Args:
        jobs: The planned outputs.
        protected: Further inputs that must not be written over (e.g. a label file).

    Raises:
        MedsslError: Two inputs that would write the same file, an output that is an
            existing folder, or one that is an input file (or lies inside an input DICOM
            folder).
    """
    seen: dict[Path, Path] = {}
    for job in jobs:
        for path in job.paths():
            key = path.resolve()
            if key in seen:
                raise MedsslError(
                    f"inputs {seen[key]} and {job.source} would both write {path}; "
                    "rename one, or predict them into different --out folders"
                )
            seen[key] = job.source
    for job in jobs:
        for path in job.paths():
            if path.is_dir():
                raise MedsslError(
                    f"output {path} is an existing folder; remove it or choose another --out"
                )
    inputs = [Path(j.source) for j in jobs] + [Path(p) for p in protected]
    for job in jobs:
        for path in job.paths():
            for source in inputs:
                if source.is_dir() and path.resolve().is_relative_to(source.resolve()):
                    raise MedsslError(
                        f"output {path} would be written inside the input DICOM folder "
                        f"{source}; choose an --out folder outside it"
                    )
                if _same_file(path, source):
                    raise MedsslError(
                        f"output {path} would overwrite the input {source}; "
                        "choose another --out folder (inputs are never overwritten)"
                    )
