"""Small real scans shipped with medssl (see ``README.md`` in this folder for sources).

Example:
    >>> from medssl.io import read_image
    >>> from medssl.samples import sample_path
    >>> flair = read_image(sample_path("brain_flair"))  # doctest: +SKIP

The brain files are licensed CC BY-NC-SA 3.0 CH (non-commercial), the CT files
Apache-2.0; the licence texts sit beside the files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from medssl.errors import MedsslError

SAMPLES: dict[str, str] = {
    "brain_flair": "brats_pat0006_flair.nii.gz",
    "brain_label": "brats_pat0006_label.nii.gz",
    "brain_mask": "brats_pat0006_brainmask.nii.gz",
    "ct": "totalseg_ct.nii.gz",
    "ct_label": "totalseg_ct_label.nii.gz",
}
"""Sample name → file name in this package."""


def sample_names() -> list[str]:
    """Names accepted by :func:`sample_path`."""
    return list(SAMPLES)


def sample_path(name: str) -> Path:
    """Path of a shipped sample file.

    Args:
        name: One of :func:`sample_names`: ``brain_flair``, ``brain_label``,
            ``brain_mask``, ``ct``, ``ct_label``.

    Returns:
        The file's path inside the installed package.

    Raises:
        MedsslError: Unknown name (the message lists the valid ones), or the file is
            missing from the installation.
    """
    if name not in SAMPLES:
        raise MedsslError(f"unknown sample '{name}'; valid samples: {', '.join(sample_names())}")
    path = Path(str(resources.files(__name__).joinpath(SAMPLES[name])))
    if not path.is_file():
        raise MedsslError(
            f"sample file {path} is missing from this installation; "
            "reinstall medssl or run scripts/make_samples.py"
        )
    return path
