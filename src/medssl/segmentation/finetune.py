"""``finetune(cfg)``: train a segmentation network from a pretrained encoder.

Steps: read and check the labelled records; keep a seeded ``fraction`` of the training
cases; preprocess every case through the on-disk cache; map label values to classes;
run the :class:`~medssl.engine.Trainer` on :class:`SupervisedSegmentation`, which
writes ``RUN/model.pt`` and ``RUN/encoder.pt`` from the same state, the best validation
checkpoint (or the last step when there is no validation split), with everything
``medssl predict`` needs: the preprocessing, the classes and the window size.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np

from medssl.errors import MedsslError

TASK = "segmentation"


@dataclasses.dataclass
class FinetuneConfig:
    """Options of ``medssl finetune``.

    Attributes:
        train: Data spec of the labelled training cases (folder/glob, CSV, dataset.json).
        val: Data spec of the validation cases, or None (then ``val_ids`` or no validation).
        val_ids: Case ids moved from ``train`` into validation.
        label_rule: Label pairing rule for folder/glob specs (e.g. ``label.nii.gz``).
        labels: Classes to learn, in the ``--labels`` syntax (``1,2`` or ``wt=1+2+3+4``).
        out: Run folder.
        pretrained: Weights file to start from; None = random initialisation.
        init: ``encoder`` or ``encoder+decoder``.
        fraction: Share of the training cases used (seeded choice), in (0, 1].
        preprocess: Preprocessing config, e.g. ``{"preset": "brain_flair", "grid": 96}``;
            without ``preset`` (or ``steps``) the preset follows the data's modality and
            these are its options (see :mod:`medssl.segmentation.preprocess_choice`).
        modality: ``"ct"`` or ``"mr"``: the modality that picks the preset, instead of
            the data's modality column or intensity range.
        patch: Training patch and inference window size.
        augment: nnU-Net-style augmentation on/off.
        channel: Channel of 4D images.
        series: SeriesInstanceUID read from DICOM folders holding several.
    """

    train: str = ""
    val: str | None = None
    val_ids: list[str] = dataclasses.field(default_factory=list)
    label_rule: str | None = None
    labels: str = "1"
    out: str = "runs/finetune"
    pretrained: str | None = None
    init: str = "encoder"
    fraction: float = 1.0
    preprocess: dict[str, Any] = dataclasses.field(default_factory=dict)
    modality: str | None = None
    patch: list[int] = dataclasses.field(default_factory=lambda: [64, 64, 64])
    augment: bool = True
    channel: int | None = None
    series: str | None = None
    cache: str | None = None


def select_fraction(n: int, fraction: float, seed: int) -> list[int]:
    """Indices of a seeded subset of ``round(fraction · n)`` cases (sorted).

    Raises:
        MedsslError: ``fraction`` outside (0, 1], or a subset with zero cases.
    """
    if not (0.0 < fraction <= 1.0) or math.isnan(fraction):
        raise MedsslError(f"fraction must be in (0, 1]; got {fraction}")
    k = round(fraction * n)
    if k < 1:
        raise MedsslError(
            f"fraction {fraction} of {n} training cases leaves 0 cases; use at least {1 / n:.3g}"
        )
    order = np.random.default_rng([seed, 7919]).permutation(n)
    return sorted(int(i) for i in order[:k])


def split_records(cfg: FinetuneConfig) -> tuple[list, list]:
    """Training and validation records, checked up front."""
    from medssl.data import load_records, validate_records, with_series

    if not cfg.train:
        raise MedsslError("finetune needs --train (a folder/glob, CSV or dataset.json)")
    train = with_series(load_records(cfg.train, labels=cfg.label_rule), cfg.series)
    val = with_series(load_records(cfg.val, labels=cfg.label_rule), cfg.series) if cfg.val else []
    if cfg.val_ids:
        ids = {r.id for r in train}
        unknown = sorted(set(cfg.val_ids) - ids)
        if unknown:
            raise MedsslError(f"--val-ids {unknown} are not training case ids ({sorted(ids)})")
        val += [r for r in train if r.id in cfg.val_ids]
        train = [r for r in train if r.id not in cfg.val_ids]
    overlap = {r.id for r in train} & {r.id for r in val}
    if overlap:
        raise MedsslError(f"cases {sorted(overlap)} are in both the training and validation sets")
    validate_records(train + val, channel=cfg.channel, require_label=True)
    return train, val


def prepare_cases(records, pipeline, groups, *, channel, cache_root, what: str):
    """Preprocess records (through the cache) into in-memory :class:`Case` objects."""
    from medssl.preprocess.cache import PreprocessCache
    from medssl.progress import track
    from medssl.segmentation.classes import to_class_indices
    from medssl.segmentation.task import Case

    cache = PreprocessCache(cache_root)
    cases = []
    for record in track(records, f"preprocess {what}"):
        sample = cache.get(
            record.image, pipeline, record.label, record.roi, channel=channel, series=record.series
        )
        classes = to_class_indices(np.asarray(sample.label), groups, source=str(record.label))
        cases.append(Case(record.id, np.array(sample.image, np.float32)[None], classes))
    return cases


def finetune(cfg: FinetuneConfig, train_cfg, *, argv=None) -> Path:
    """Fine-tune and write ``RUN/model.pt``; returns its path.

    Args:
        cfg: Fine-tuning options.
        train_cfg: A :class:`medssl.config.TrainConfig` (steps, lr, optimizer, seed...);
            its ``method`` is set to ``"finetune"``.
        argv: Command line for the model card.

    Raises:
        MedsslError: Bad data, labels, fraction, patch or weights.
    """
    from medssl.engine import Trainer
    from medssl.engine.resume import check_resume_file
    from medssl.engine.run_dir import check_run_dir
    from medssl.models import check_patch
    from medssl.preprocess import Pipeline
    from medssl.segmentation.augment import AugmentConfig
    from medssl.segmentation.classes import parse_classes
    from medssl.segmentation.preprocess_choice import choose_preprocess
    from medssl.segmentation.task import SupervisedSegmentation

    check_run_dir(cfg.out, resume=train_cfg.resume)
    check_patch(cfg.patch, train_cfg.model, train_cfg.model_kwargs, what="patch")
    groups = parse_classes(cfg.labels)
    train_records, val_records = split_records(cfg)
    pipeline = Pipeline.from_config(
        choose_preprocess(
            dict(cfg.preprocess), train_records, modality=cfg.modality, channel=cfg.channel
        )
    )
    keep = select_fraction(len(train_records), cfg.fraction, train_cfg.seed)
    train_records = [train_records[i] for i in keep]
    settings = dataclasses.asdict(cfg)
    if train_cfg.resume:  # before the data is preprocessed
        data = [str(r.image) for r in train_records]
        resumed = dataclasses.replace(train_cfg, method="finetune", out=cfg.out, data=data)
        check_resume_file(resumed, records=train_records, settings=settings)
    train = prepare_cases(
        train_records,
        pipeline,
        groups,
        channel=cfg.channel,
        cache_root=cfg.cache,
        what="training cases",
    )
    from medssl.segmentation.classes import check_classes_present

    check_classes_present(train, groups, source=cfg.train)
    val = prepare_cases(
        val_records,
        pipeline,
        groups,
        channel=cfg.channel,
        cache_root=cfg.cache,
        what="validation cases",
    )
    task = SupervisedSegmentation(
        train=train,
        val=val,
        n_classes=len(groups) + 1,
        patch=cfg.patch,
        pretrained=cfg.pretrained,
        init=cfg.init,
        augment=AugmentConfig() if cfg.augment else None,
        metadata={
            "labels": cfg.labels,
            "preprocess": pipeline.to_config(),
            "patch": list(cfg.patch),
            "channel": cfg.channel,
            "train_cases": [r.id for r in train_records],
            "val_cases": [r.id for r in val_records],
            "pretrained": cfg.pretrained,
            "fraction": cfg.fraction,
            "seed": train_cfg.seed,
        },
    )
    train_cfg = dataclasses.replace(
        train_cfg,
        method="finetune",
        out=cfg.out,
        data=[str(r.image) for r in train_records],
        val_every=(train_cfg.val_every or max(1, train_cfg.steps // 10)) if val else 0,
    )
    Trainer(task, train_cfg, train_records, argv=argv, settings=settings).fit()
    return Path(cfg.out) / "model.pt"
