"""``medssl segment IMAGE [IMAGE ...] --out DIR``: zero-shot tumour masks in each input's grid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def segment(
    images: Annotated[list[Path], typer.Argument(help="NIfTI/NRRD/MHA files or DICOM folders.")],
    out: Annotated[
        Path,
        typer.Option("--out", help="Output folder; gets one mask per input, named after its case."),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Weights file of an 'ld' model, or a shipped name (default: ld_brain_flair).",
        ),
    ] = None,
    save_layers: Annotated[
        bool,
        typer.Option(
            "--save-layers", help="Also write <stem>_normal.nii.gz and <stem>_tumour.nii.gz."
        ),
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold", help="Mask probability threshold (default: the model's, else 0.5)."
        ),
    ] = None,
    grow_threshold: Annotated[
        float | None,
        typer.Option(
            "--grow-threshold",
            help="Hysteresis: grow the mask from voxels at --threshold into connected voxels "
            "at this probability (default: the model's, else none).",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="'zscore': label-free threshold, no network (FLAIR: hyperintense in the "
            "brain; CT: hypo-dense in the --roi organ).",
        ),
    ] = None,
    z: Annotated[
        float | None,
        typer.Option(
            "--z",
            help="Baseline threshold: FLAIR, brain SDs above the mean (default 2.0); CT, "
            "robust SDs (IQR/1.349) below the organ's median HU after a 3³ median filter "
            "(default 1.5, fixed a priori).",
        ),
    ] = None,
    modality: Annotated[
        str | None,
        typer.Option(
            "--modality",
            help="Baseline input: FLAIR or CT (default: the --model's, else CT for HU-range "
            "scans).",
        ),
    ] = None,
    roi: Annotated[
        str | None,
        typer.Option(
            "--roi",
            help="Organ mask on the image's grid (file, DICOM folder or ZIP::liver=1); the "
            "mask is kept inside it. One input only.",
        ),
    ] = None,
    roi_labels: Annotated[
        list[int] | None,
        typer.Option(
            "--roi-labels",
            help="Organ value(s) in --roi (default: > 0), or the one in the "
            "--roi-from-transfer support label (default 5, the TotalSegmentator liver).",
        ),
    ] = None,
    roi_from_transfer: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--roi-from-transfer",
            help="SUPPORT_IMAGE SUPPORT_LABEL: find the organ by k-NN label transfer from "
            "this labelled scan, then segment inside it.",
        ),
    ] = None,
    transfer_model: Annotated[
        str | None,
        typer.Option(
            "--transfer-model", help="Describer for --roi-from-transfer (context2d_heatmap)."
        ),
    ] = None,
    min_voxels: Annotated[
        int, typer.Option("--min-voxels", help="Baseline cleanup: smallest component kept.")
    ] = 100,
    panel: Annotated[
        bool, typer.Option("--panel", help="Write <stem>_panel.png (needs matplotlib).")
    ] = False,
    label: Annotated[
        Path | None, typer.Option("--label", help="Ground truth shown in the panel (one image).")
    ] = None,
    tta: Annotated[bool, typer.Option("--tta", help="Average over the 8 axis flips.")] = False,
    bias_correction: Annotated[
        str | None,
        typer.Option(
            "--bias-correction",
            help="MRI models: n4 (N4 bias-field correction before normalising) or none; "
            "default: the model's own setting.",
        ),
    ] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads for torch.")] = None,
    device: Annotated[
        str, typer.Option("--device", help="auto (CUDA when present), cpu or cuda.")
    ] = "auto",
    channel: Annotated[
        int | None, typer.Option("--channel", help="Channel of 4D images (0-based).")
    ] = None,
    series: Annotated[
        str | None,
        typer.Option(
            "--series", help="SeriesInstanceUID to read from a DICOM folder with several."
        ),
    ] = None,
    continue_on_error: Annotated[
        bool,
        typer.Option(
            "--continue-on-error",
            help="Go on past failing inputs; list them at the end and exit non-zero.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Segment scans the model would refuse (brain model: CT, skull; CT model: MRI).",
        ),
    ] = False,
    min_volume: Annotated[
        float | None,
        typer.Option(
            "--min-volume", help="Smallest component kept, mm³ (default: the model's, else 50)."
        ),
    ] = None,
    min_share: Annotated[
        float | None,
        typer.Option(
            "--min-share",
            help="Drop components under this share of the largest, in [0, 1) "
            "(default: the model's, else 0).",
        ),
    ] = None,
) -> None:
    """Segment tumours without labels by layer decomposition (or the z-score baseline)."""
    from medssl.errors import MedsslError
    from medssl.inference.loop import stderr_warning
    from medssl.zeroshot.segment import segment_files

    if threads is not None:
        if threads < 1:
            raise MedsslError(f"--threads must be >= 1; got {threads}")
        import torch

        torch.set_num_threads(threads)

    written = segment_files(
        images,
        out,
        model=model,
        threshold=threshold,
        grow_threshold=grow_threshold,
        save_layers=save_layers,
        baseline=baseline,
        z=z,
        min_voxels=min_voxels,
        panel=panel,
        label=label,
        mirror=tta,
        warn=stderr_warning,
        device=device,
        channel=channel,
        continue_on_error=continue_on_error,
        series=series,
        force=force,
        min_volume_mm3=min_volume,
        min_share=min_share,
        report=typer.echo,
        roi=roi,
        roi_labels=roi_labels,
        roi_from_transfer=roi_from_transfer,
        transfer_model=transfer_model,
        modality=modality,
        bias_correction=bias_correction,
    )
    typer.echo(f"wrote {len(written)} mask(s) to {out}")
