"""``transfer_files``: label query scans on disk from labelled support scans on disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from medssl.errors import MedsslError


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def transfer_files(
    queries: Sequence[str | Path],
    supports: Sequence[tuple[str | Path, str | Path]],
    model: str | Path,
    out_dir: str | Path,
    *,
    k: int = 21,
    labels: Sequence[int] | None = None,
    upsample: str = "interp",
    exact_limit: int = 100_000,
) -> list[Path]:
    """Write ``out_dir/<query name>`` (NIfTI for DICOM folders) for every query.

    Every input is checked before anything is written: files exist, output names are
    distinct and overwrite no input, support labels lie on their image's grid and have
    foreground, and every value of ``labels`` is in some support.

    Args:
        queries: Query images (files or DICOM folders).
        supports: (image, label) paths.
        model: A context model name or weights file (see
            :func:`~medssl.methods.context.describers.load_describer`).
        out_dir: Output folder (created).
        k: Neighbours per vote.
        labels: Label values to transfer; None: every support label.
        upsample: ``interp`` or ``nearest``.
        exact_limit: Largest database searched exactly.

    Returns:
        The written files.

    Raises:
        MedsslError: On any bad input (one line naming the file and the rule).
        FileNotFoundError: A missing input.
    """
    from medssl.io import ensure_writable_dir, output_name, read_image, read_label, write_image
    from medssl.methods.context.describers import load_describer
    from medssl.methods.context.transfer import LabelTransfer

    if not queries:
        raise MedsslError("transfer needs at least one query image")
    if not supports:
        raise MedsslError("transfer needs at least one --support IMAGE LABEL")
    inputs = [Path(q) for q in queries] + [Path(p) for pair in supports for p in pair]
    for path in inputs:
        if not path.exists():
            raise FileNotFoundError(f"file not found: {path}")
    out = Path(out_dir)
    dests = [out / output_name(q) for q in queries]
    if len({d.name for d in dests}) != len(dests):
        raise MedsslError("two queries would write the same output name; give distinct file names")
    for dest in dests:
        clash = next((p for p in inputs if _same_file(dest, p)), None)
        if clash is not None:
            raise MedsslError(
                f"output {dest} would overwrite the input {clash}; choose another --out"
            )
    describer = load_describer(model)
    transfer = LabelTransfer(
        describer, k=k, upsample=upsample, labels=labels, exact_limit=exact_limit
    )
    for image_path, label_path in supports:
        transfer.add_support(read_image(image_path), read_label(label_path))
    transfer.build()
    out = ensure_writable_dir(out)
    written = []
    for query, dest in zip(queries, dests):
        image = read_image(query)
        result = transfer.predict(image)
        written.append(write_image(result.labels, image.geometry, dest))
    return written
