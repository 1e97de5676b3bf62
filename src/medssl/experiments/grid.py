"""The experiment grid: data splits, one cell per (method, fraction, seed, fold), checks.

Everything that can be checked before training is checked here, so that a bad config
fails in seconds rather than after hours of a grid: the weights files, the case ids of
every fold, test cases that also serve for training or validation, and fractions that
would leave no training case.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from medssl.data import Record
from medssl.errors import MedsslError
from medssl.experiments.config import ExperimentConfig


@dataclasses.dataclass(frozen=True)
class Split:
    """The training, validation and test cases of one fold (or of the fixed split).

    Attributes:
        fold: Fold index, or None for a fixed split.
        train: Training cases (a fraction of them is labelled per cell).
        val: Validation cases (best-checkpoint selection); may be empty.
        test: Test cases, never seen in training or validation.
    """

    fold: int | None
    train: tuple[Record, ...]
    val: tuple[Record, ...]
    test: tuple[Record, ...]

    @property
    def name(self) -> str:
        """``fold<k>``, or ``split`` for a fixed split."""
        return "split" if self.fold is None else f"fold{self.fold}"

    def ids(self) -> dict[str, list[str]]:
        """Case ids per part, as stored in each cell's ``done.json``."""
        return {k: [r.id for r in getattr(self, k)] for k in ("train", "val", "test")}


@dataclasses.dataclass(frozen=True)
class Cell:
    """One fine-tuning run of the grid.

    Attributes:
        method: Method name (a row of the tables).
        weights: Pretrained weights file, or None for random initialisation.
        fraction: Share of the split's training cases that is labelled.
        seed: Training seed.
        split: The data split.
    """

    method: str
    weights: str | None
    fraction: float
    seed: int
    split: Split

    @property
    def name(self) -> str:
        """Folder name ``<method>_f<fraction>_s<seed>[_fold<k>]``."""
        fold = "" if self.split.fold is None else f"_fold{self.split.fold}"
        return f"{self.method}_f{self.fraction}_s{self.seed}{fold}"

    def identity(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Everything that decides this cell's result (the shared settings included).

        Files enter by content, not by path (see :mod:`medssl.experiments.fingerprint`):
        the weights file's digest, and per part of the split each case's id and the
        digests of its image, label and ROI.
        """
        from medssl.experiments.fingerprint import content_digest, records_digest

        return {
            "method": self.method,
            "weights": content_digest(self.weights),
            "fraction": self.fraction,
            "seed": self.seed,
            "split": {
                part: records_digest(getattr(self.split, part)) for part in ("train", "val", "test")
            },
            "settings": settings,
        }

    def fingerprint(self, settings: dict[str, Any]) -> str:
        """Short hash of :meth:`identity`."""
        text = json.dumps(self.identity(settings), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_splits(cfg: ExperimentConfig) -> list[Split]:
    """The splits of ``cfg``: one per fold, or the fixed train/val/test split.

    Raises:
        MedsslError: Unreadable specs, unknown or repeated fold ids, test cases that are
            also training or validation cases, or test cases without a label.
    """
    from medssl.data import load_records, validate_records

    if cfg.folds:
        records = load_records(cfg.data, labels=cfg.label_rule)  # type: ignore[arg-type]
        by_id = {r.id: r for r in records}
        splits = []
        for k, fold in enumerate(cfg.folds):
            parts = {}
            for key in ("train", "val", "test"):
                ids = [str(i) for i in fold.get(key) or []]
                unknown = [i for i in ids if i not in by_id]
                if unknown:
                    raise MedsslError(
                        f"fold {k}: {key} ids {unknown} are not in data {cfg.data} "
                        f"(ids: {', '.join(sorted(by_id))})"
                    )
                parts[key] = tuple(by_id[i] for i in ids)
            splits.append(Split(k, parts["train"], parts["val"], parts["test"]))
    else:
        train = load_records(cfg.train, labels=cfg.label_rule)  # type: ignore[arg-type]
        val = load_records(cfg.val, labels=cfg.label_rule) if cfg.val else []
        unknown = sorted(set(cfg.val_ids) - {r.id for r in train})
        if unknown:
            raise MedsslError(f"val_ids {unknown} are not training case ids of {cfg.train}")
        val += [r for r in train if r.id in cfg.val_ids]
        train = [r for r in train if r.id not in cfg.val_ids]
        test = load_records(cfg.test, labels=cfg.label_rule)  # type: ignore[arg-type]
        splits = [Split(None, tuple(train), tuple(val), tuple(test))]
    for split in splits:
        _check_disjoint(split)
        validate_records(
            list(split.train + split.val + split.test),
            require_label=True,
            channel=cfg.finetune.get("channel"),
        )
    return splits


def _check_disjoint(split: Split) -> None:
    where = "" if split.fold is None else f"fold {split.fold}: "
    pairs = (("test", "training"), ("test", "validation"), ("validation", "training"))
    parts = {"training": split.train, "validation": split.val, "test": split.test}
    for a, b in pairs:
        ids = {r.id for r in parts[a]} & {r.id for r in parts[b]}
        paths = {Path(r.image).resolve() for r in parts[a]} & {
            Path(r.image).resolve() for r in parts[b]
        }
        if ids or paths:
            shown = sorted(ids) or sorted(str(p) for p in paths)
            raise MedsslError(f"{where}{a} and {b} cases must not overlap; both hold {shown}")
    if len({r.id for r in split.test}) != len(split.test):
        raise MedsslError(f"{where}test cases must not repeat")


def check_weights(
    methods: dict[str, str | None],
    *,
    arch: str | None = None,
    model_kwargs: dict[str, Any] | None = None,
    init: str = "encoder",
) -> None:
    """Every named weights file exists, is a medssl weights file, and fits ``arch``.

    A file of another architecture is accepted with ``init="encoder"`` when its encoder
    loads strictly into the encoder of ``arch`` (e.g. a ``resnet3d50`` encoder
    pre-trained by PGL into ``resnet3d50_aspp``).

    Raises:
        MedsslError: Naming the method and the path.
    """
    from medssl.models import load_weights

    network: list[Any] = []
    for name, path in methods.items():
        if path is None:
            continue
        if not Path(path).is_file():
            raise MedsslError(
                f"method '{name}': weights file {path} not found (use null for random init)"
            )
        try:
            weights = load_weights(path)
        except MedsslError as exc:
            raise MedsslError(f"method '{name}': {exc}") from None
        if arch is None or weights.arch == arch:
            continue
        if init == "encoder" and _encoder_fits(weights, arch, model_kwargs or {}, network):
            continue
        raise MedsslError(
            f"method '{name}': {path} holds weights for '{weights.arch}', expected '{arch}' "
            "(or an encoder that fits it)"
        )


def _encoder_fits(weights: Any, arch: str, model_kwargs: dict[str, Any], cache: list) -> bool:
    """Whether the file's encoder loads strictly into ``arch``'s encoder (built once)."""
    from medssl.models import create_model, encoder_of
    from medssl.models.weights import load_state_strict

    try:
        if not cache:
            cache.append(encoder_of(create_model(arch, **model_kwargs)))
        load_state_strict(cache[0], weights.encoder_state_dict(), source=str(weights.path))
    except MedsslError:
        return False
    return True


def check_fractions(fractions: list[float], splits: list[Split], seeds: list[int]) -> None:
    """Every fraction keeps at least one training case in every split.

    Raises:
        MedsslError: :func:`~medssl.segmentation.finetune.select_fraction`'s error.
    """
    from medssl.segmentation.finetune import select_fraction

    for split in splits:
        for fraction in fractions:
            try:
                select_fraction(len(split.train), fraction, seeds[0])
            except MedsslError as exc:
                where = "" if split.fold is None else f"fold {split.fold}: "
                raise MedsslError(f"{where}{exc}") from None


def make_cells(cfg: ExperimentConfig, splits: list[Split]) -> list[Cell]:
    """Every cell, folds outermost and methods innermost (so a partial grid is balanced)."""
    return [
        Cell(method, weights, float(fraction), int(seed), split)
        for split in splits
        for fraction in cfg.fractions
        for seed in cfg.seeds
        for method, weights in cfg.methods.items()
    ]


def plan(cfg: ExperimentConfig) -> list[Cell]:
    """Check ``cfg`` against the files and return its cells.

    Raises:
        MedsslError: See :func:`load_splits`, :func:`check_weights`, :func:`check_fractions`.
    """
    from medssl.experiments.config import split_finetune_options

    cfg.check()
    _, train = split_finetune_options(cfg.finetune, source="finetune")
    check_weights(
        cfg.methods,
        arch=train.model,
        model_kwargs=dict(train.model_kwargs),
        init=str(cfg.finetune.get("init", "encoder")),
    )
    splits = load_splits(cfg)
    check_fractions(cfg.fractions, splits, cfg.seeds)
    return make_cells(cfg, splits)
