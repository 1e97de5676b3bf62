"""Zero-shot tumour segmentation: the library side of ``medssl segment``.

:func:`segment_files` checks the options, builds the predictor (the layer
decomposition of :mod:`medssl.inference.ld`, or the z-score baseline of
:mod:`medssl.inference.zscore`) and runs the inference loop
(:mod:`medssl.inference.loop`), which reads, preprocesses, predicts, maps back and
writes each mask in its input's exact grid. On request it also writes the layers
(``<stem>_normal.nii.gz``, ``<stem>_tumour.nii.gz``) and a figure panel
(``<stem>_panel.png``). Output names: :mod:`medssl.inference.outputs`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from medssl.errors import MedsslError

BASELINES = ("zscore",)


def _check_options(
    paths: Sequence[str | Path],
    *,
    threshold: float | None,
    baseline: str | None,
    grow_threshold: float | None = None,
    save_layers: bool,
    panel: bool,
    label: str | Path | None,
    bias_correction: str | dict | None = None,
    min_share: float | None = None,
) -> None:
    if threshold is not None and not 0.0 < float(threshold) < 1.0:
        raise MedsslError(f"threshold must be in (0, 1); got {threshold}")
    if grow_threshold is not None and not 0.0 < float(grow_threshold) < 1.0:
        raise MedsslError(f"grow threshold must be in (0, 1); got {grow_threshold}")
    if min_share is not None and not 0.0 <= float(min_share) < 1.0:
        raise MedsslError(f"min_share must be in [0, 1); got {min_share}")
    for flag, value in (("--grow-threshold", grow_threshold), ("--min-share", min_share)):
        if baseline is not None and value is not None:
            raise MedsslError(
                f"{flag} shapes the network's mask; --baseline {baseline} does not use it"
            )
    if baseline is not None and baseline not in BASELINES:
        raise MedsslError(f"unknown baseline '{baseline}'; valid: {', '.join(BASELINES)}")
    if baseline is not None and (save_layers or panel):
        raise MedsslError(
            f"layers and panels come from the network; --baseline {baseline} gives a mask only "
            "(drop --save-layers/--panel)"
        )
    if baseline is not None and bias_correction is not None:
        raise MedsslError(
            f"--bias-correction prepares the network's input; --baseline {baseline} does not "
            "use it (drop one)"
        )
    if not paths:
        raise MedsslError("no input images given")
    if label is not None and len(paths) != 1:
        raise MedsslError(f"a ground-truth label needs exactly one input image; got {len(paths)}")


def _panel_writer(
    predictor, label: str | Path | None, image_path: str | Path, series: str | None = None
):
    """``on_case`` of the loop: the figure panel of one decomposition.

    Raises:
        MedsslError: An unreadable label, or one on another grid than the image (checked
            here, before any case is written).
    """
    from medssl.io import check_same_grid, read_image, read_label
    from medssl.zeroshot.panel import save_panel

    network = getattr(predictor, "inner", predictor)  # inside an organ ROI or not
    truth = None
    if label is not None:
        truth = read_label(label, reference=image_path, reference_series=series)
        image = read_image(image_path, channel=predictor.channel, series=series)
        check_same_grid(image.geometry, truth.geometry, what="--label does not match the image")

    def write(case) -> None:
        import numpy as np

        net = case.prediction.net
        shown = None
        sample = predictor.pipeline.apply(case.image, label=truth, roi=predictor.organ(case.image))
        if truth is not None:  # the label on the network grid, through the same pipeline
            shown = sample.label > 0
        to_input = np.linalg.inv(np.asarray(case.image.geometry.affine)) @ sample.affine
        save_panel(
            case.job.extras["panel.png"], image=net["image"], normal=net["normal"],
            tumour=net["tumour"], mask=network.binary(net["probability"]), truth=shown,
            spacing=case.prediction.spacing, title=case.job.stem, to_input=to_input,
        )  # fmt: skip

    return write


def _plausibility_reporter(report: Callable[[str], None] | None, warn: Callable[[str], None]):
    """``on_case`` step: one line of volume, components and brain share; warn when implausible."""
    from medssl.inference.ld import MAX_BRAIN_SHARE

    def write(case) -> None:
        s = case.prediction.summary
        if not s:
            return
        region = s.get("region", "brain")
        line = (
            f"{case.job.source}: {s['volume_ml']:.1f} cm³ in {s['components']} component(s), "
            f"{s['brain_share']:.1%} of the {region}"
        )
        if report is not None:
            report(line)
        if region == "brain" and s["brain_share"] > MAX_BRAIN_SHARE:
            warn(
                f"{case.job.source}: the mask covers {s['brain_share']:.0%} of the brain "
                f"(more than {MAX_BRAIN_SHARE:.0%}: implausible for a tumour; the scan may be "
                "from another contrast or scanner than the model can read)"
            )

    return write


def _roi_source(paths, roi, roi_labels, roi_from_transfer, transfer_model, series):
    """The :class:`~medssl.zeroshot.roi.RoiSource` of the options, or ``None``."""
    from medssl.zeroshot.roi import TRANSFER_MODEL, RoiSource

    if roi is None and roi_from_transfer is None:
        if roi_labels:
            raise MedsslError("--roi-labels needs --roi or --roi-from-transfer")
        return None
    if roi is not None and len(paths) != 1:
        raise MedsslError(
            f"--roi belongs to one image; got {len(paths)} inputs (segment them one at a "
            "time, or use --roi-from-transfer)"
        )
    return RoiSource(
        path=roi,
        support=tuple(roi_from_transfer) if roi_from_transfer is not None else None,
        labels=tuple(int(v) for v in roi_labels) if roi_labels else None,
        model=transfer_model or TRANSFER_MODEL,
        series=series,
    )


def _first(*values):
    """The first of ``values`` that is not ``None``."""
    return next(v for v in values if v is not None)


def segment_files(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    model: str | Path | None = None,
    threshold: float | None = None,
    grow_threshold: float | None = None,
    save_layers: bool = False,
    baseline: str | None = None,
    z: float | None = None,
    min_voxels: int = 100,
    panel: bool = False,
    label: str | Path | None = None,
    mirror: bool = False,
    progress: bool = True,
    warn: Callable[[str], None] | None = None,
    device: str | None = "auto",
    channel: int | None = None,
    continue_on_error: bool = False,
    series: str | None = None,
    force: bool = False,
    min_volume_mm3: float | None = None,
    min_share: float | None = None,
    report: Callable[[str], None] | None = None,
    roi: str | Path | None = None,
    roi_labels: Sequence[int] | None = None,
    roi_from_transfer: tuple[str | Path, str | Path] | None = None,
    transfer_model: str | Path | None = None,
    modality: str | None = None,
    bias_correction: str | dict | None = None,
) -> list[Path]:
    """Segment scans and write one mask per input in its exact grid.

    Args:
        paths: Image files or DICOM folders.
        out_dir: Output folder (created; must not be a file).
        model: Weights file or shipped name; default the brain FLAIR model. Unused
            with ``baseline``.
        threshold: Mask probability threshold, in (0, 1); default: the one stored in
            the weights file (0.5 when it stores none).
        grow_threshold: Hysteresis: the mask grows from the voxels at ``threshold``
            into connected voxels at this probability; default: the one stored in the
            weights file (none: a plain threshold). At or above ``threshold``, none.
        save_layers: Also write ``<stem>_normal.nii.gz`` and ``<stem>_tumour.nii.gz``.
        baseline: ``"zscore"``: the label-free threshold instead of the network (FLAIR:
            hyperintense in the brain; CT: hypo-dense in the organ ROI, which it needs).
        z: Threshold of the baseline; default 2.0 brain standard deviations above the
            mean (FLAIR) or 1.5 robust standard deviations below the organ's median (CT).
        min_voxels: Smallest component the baseline keeps.
        panel: Write ``<stem>_panel.png`` (needs matplotlib; network only).
        label: Ground truth shown in the panel (one input only); never used otherwise.
        mirror: Test-time mirroring.
        progress: Show progress over the inputs (a bar, or lines in logs).
        warn: Receives warning lines; default :func:`warnings.warn`.
        device: ``auto``, ``cpu`` or ``cuda`` (network only).
        channel: Channel of 4D inputs.
        continue_on_error: Go on past failing inputs; raise at the end.
        series: SeriesInstanceUID to read from DICOM folders holding several.
        force: Segment inputs the brain model would refuse (CT-like range, not
            skull-stripped); they are then only warned about.
        min_volume_mm3: Smallest component kept by the network's mask (default: the
            weights file's, else :data:`medssl.inference.ld.MIN_VOLUME_MM3`).
        min_share: Components of the network's mask under this share of the largest
            are dropped, in [0, 1) (default: the weights file's, else 0).
        report: Receives one plausibility line per case (volume, components, share
            of the brain); a mask over :data:`medssl.inference.ld.MAX_BRAIN_SHARE` of
            the brain also goes to ``warn``.
        roi: The organ the mask is kept in (one input only): any
            :func:`medssl.io.read_label` spec on the input's grid.
        roi_labels: The organ's values in ``roi`` (default: > 0) or in the support
            label of ``roi_from_transfer`` (one value; default the liver, 5).
        roi_from_transfer: ``(image, label)`` of a labelled support scan; each input's
            organ is found by k-NN label transfer (:mod:`medssl.zeroshot.roi`).
        transfer_model: The transfer describer (default ``context2d_heatmap``).
        modality: ``"FLAIR"`` or ``"CT"`` for the baseline; default the model's (with
            ``model``), else per scan (a Hounsfield range is CT).
        bias_correction: N4 bias-field correction of an MRI model's input: ``"n4"``,
            ``"none"``, or ``None`` for the weights' own setting (network only).

    Returns:
        The mask files written, in input order.

    Raises:
        MedsslError: Bad options, an output folder that is a file, an output that would
            overwrite an input or another output, missing/unreadable inputs, an
            all-zero image, or a bad or missing model file.
        BatchError: With ``continue_on_error``, when some inputs failed.
    """
    from medssl.inference.device import resolve_device
    from medssl.inference.loop import run_inference
    from medssl.inference.outputs import plan_outputs
    from medssl.io.dicom_mask import is_mask_source

    warn = warn or (lambda text: warnings.warn(text, stacklevel=3))
    _check_options(
        paths, threshold=threshold, grow_threshold=grow_threshold, baseline=baseline,
        save_layers=save_layers, panel=panel, label=label, bias_correction=bias_correction,
        min_share=min_share,
    )  # fmt: skip
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing and not continue_on_error:
        raise MedsslError(f"input image not found: {missing[0]} ({len(missing)} missing in all)")
    extras = (["normal", "tumour"] if save_layers else []) + (["panel.png"] if panel else [])
    jobs = plan_outputs(paths, out_dir, extras=extras)
    if label is not None and not (Path(label).exists() or is_mask_source(label)):
        raise MedsslError(f"ground-truth label not found: {label}")
    dev = resolve_device(device)
    roi_of = _roi_source(paths, roi, roi_labels, roi_from_transfer, transfer_model, series)
    protected = [str(p).split("::")[0] for p in (label, roi, *(roi_from_transfer or ())) if p]
    if baseline is not None:
        from medssl.inference.zscore import ZScorePredictor

        if modality is None and model is not None:
            from medssl.inference.ld_model import load_ld_model

            modality = load_ld_model(model).preset.modality
        predictor = ZScorePredictor(
            z=z, min_voxels=min_voxels, channel=channel, modality=modality, roi_of=roi_of
        )
    else:
        from medssl.inference.ld import MIN_VOLUME_MM3, LDPredictor
        from medssl.inference.ld_model import load_ld_model

        ld = load_ld_model(model)
        threshold = ld.threshold if threshold is None else threshold
        grow_threshold = ld.grow_threshold if grow_threshold is None else grow_threshold
        predictor = LDPredictor(
            ld, threshold=threshold, grow_threshold=grow_threshold, mirror=mirror,
            layers=save_layers, channel=channel, force=force, bias_correction=bias_correction,
            min_volume_mm3=_first(min_volume_mm3, ld.min_volume_mm3, MIN_VOLUME_MM3),
            min_share=_first(min_share, ld.min_share),
        ).to(dev)  # fmt: skip
        if roi_of is not None:
            from medssl.inference.roi import InsideRoi

            predictor = InsideRoi(predictor, roi_of)
        elif predictor.reads_organ:
            raise MedsslError(
                f"{model} reads the CT relative to the organ (normalisation 'organ'): give the "
                "organ with --roi or --roi-from-transfer"
            )
    steps = [_plausibility_reporter(report, warn)]
    if panel:
        steps.append(_panel_writer(predictor, label, paths[0], series))
    report = run_inference(
        jobs,
        predictor,
        continue_on_error=continue_on_error,
        progress=progress,
        description="segment",
        warn=warn,
        on_case=(lambda case: [step(case) for step in steps]) if baseline is None else None,
        protected=protected,
        series=series,
    )
    return report.written
