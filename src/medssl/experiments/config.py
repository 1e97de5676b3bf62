"""``ExperimentConfig``: the typed options of ``medssl experiment``, read from YAML.

One experiment is a grid of fine-tuning runs: every method (a name and a pretrained
weights file, or ``null`` for random initialisation) × every labelled fraction × every
seed (× every fold), all on the same split, network and training options. Example::

    out: runs/experiment_brats
    methods: {random: null, genesis: runs/pretrain_genesis/encoder.pt}
    fractions: [0.5, 1.0]
    seeds: [0, 1]
    data: ../shared/data/brats_dev/*/flair.nii.gz      # one records spec ...
    label_rule: label.nii.gz
    folds:                                             # ... split into rotated folds
      - {train: [a, b], val: [c], test: [d]}
    labels: wt=1+2+3+4
    finetune: {model: unet3d, steps: 300, patch: [64, 64, 64]}

Without ``folds``, a fixed split is given by three specs instead: ``train`` (with
``val`` or ``val_ids`` for validation) and ``test``. The ``finetune`` mapping takes any
option of ``medssl finetune`` (:class:`~medssl.segmentation.finetune.FinetuneConfig`
and :class:`~medssl.config.TrainConfig`) except those that the grid sets itself.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from medssl.errors import MedsslError

# Options the grid sets per cell; the user may not fix them in ``finetune``.
GRID_KEYS = frozenset(
    {
        "train",
        "val",
        "val_ids",
        "label_rule",
        "labels",
        "out",
        "pretrained",
        "fraction",
        "seed",
        "method",
        "method_options",
        "data",
        "resume",
    }
)
# Defaults of ``medssl finetune`` that differ from a pre-training run's.
FINETUNE_DEFAULTS: dict[str, Any] = {
    "schedule": "cosine",
    "lr": 3e-4,
    "steps": 500,
    "progress": False,
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_FOLD_KEYS = ("train", "val", "test")


@dataclasses.dataclass
class ExperimentConfig:
    """Options of ``medssl experiment``.

    Attributes:
        methods: Method name → pretrained weights file, or None for random initialisation.
        fractions: Shares of the training cases to label, each in (0, 1].
        seeds: Training seeds (each also draws the labelled subset).
        out: Experiment folder (``cells/``, ``results.csv``, ``table.md``).
        data: One records spec that ``folds`` split by case id.
        folds: Rotated splits, each ``{train: [ids], val: [ids], test: [ids]}``.
        train: Training records spec (fixed split, when there are no folds).
        val: Validation records spec (fixed split).
        val_ids: Case ids moved from ``train`` into validation (fixed split).
        test: Test records spec (fixed split).
        label_rule: Label pairing rule for folder/glob specs (e.g. ``label.nii.gz``).
        labels: Classes to learn, e.g. ``wt=1+2+3+4``.
        eval_labels: Labels to evaluate (``medssl evaluate`` syntax); None = ``labels``.
        finetune: Options of ``medssl finetune`` (network, steps, patch, preprocess, lr...).
        overlap: Sliding-window overlap at prediction.
        mirror: Average predictions over mirrored inputs (all three axes).
    """

    methods: dict[str, str | None] = dataclasses.field(default_factory=dict)
    fractions: list[float] = dataclasses.field(default_factory=lambda: [1.0])
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0])
    out: str = "runs/experiment"
    data: str | None = None
    folds: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    train: str | None = None
    val: str | None = None
    val_ids: list[str] = dataclasses.field(default_factory=list)
    test: str | None = None
    label_rule: str | None = None
    labels: str = "1"
    eval_labels: str | None = None
    finetune: dict[str, Any] = dataclasses.field(default_factory=dict)
    overlap: float = 0.5
    mirror: bool = False

    def check(self) -> ExperimentConfig:
        """Check the values that need no file; return ``self``.

        Raises:
            MedsslError: On the first bad value, naming the key and the rule.
        """
        if not self.methods:
            raise MedsslError("methods must name at least one method, e.g. {random: null}")
        for name, weights in self.methods.items():
            if not _NAME.match(str(name)):
                raise MedsslError(
                    f"method names must be letters, digits, '_', '-' or '.'; got '{name}'"
                )
            if weights is not None and not isinstance(weights, str):
                raise MedsslError(
                    f"method '{name}' must map to a weights file or null; got {weights!r}"
                )
        self.fractions = [_number("fractions", f, float) for f in self.fractions]
        self.seeds = [_number("seeds", s, int) for s in self.seeds]
        _check_unique("fractions", self.fractions)
        _check_unique("seeds", self.seeds)
        for seed in self.seeds:
            if seed < 0:
                raise MedsslError(f"seeds must be >= 0; got {seed}")
        if not 0.0 <= self.overlap < 1.0:
            raise MedsslError(f"overlap must be in [0, 1); got {self.overlap}")
        from medssl.evaluation import parse_labels
        from medssl.segmentation.classes import parse_classes

        for key, parse in (("labels", parse_classes), ("eval_labels", parse_labels)):
            try:
                parse(getattr(self, key))
            except MedsslError as exc:  # the same rules as --labels, under the config key
                raise MedsslError(str(exc).replace("--labels", key, 1)) from None
        if self.folds:
            fixed = [k for k in ("train", "val", "test") if getattr(self, k)] + (
                ["val_ids"] if self.val_ids else []
            )
            if fixed:
                raise MedsslError(
                    f"give either folds (over data) or a fixed split; got folds and {fixed}"
                )
            if not self.data:
                raise MedsslError("folds need data: the records spec their case ids come from")
            for k, fold in enumerate(self.folds):
                _check_fold(k, fold)
        elif not (self.train and self.test):
            raise MedsslError("an experiment needs folds (with data), or both train and test specs")
        return self


def _number(key: str, value: Any, kind: type) -> Any:
    try:
        if isinstance(value, bool) or (kind is int and float(value) != int(float(value))):
            raise ValueError
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise MedsslError(f"{key} must hold numbers; got {value!r}") from None


def _check_unique(key: str, values: list) -> None:
    if not values:
        raise MedsslError(f"{key} must list at least one value")
    if len(set(values)) != len(values):
        raise MedsslError(f"{key} must not repeat a value; got {values}")


def _check_fold(k: int, fold: Any) -> None:
    if not isinstance(fold, dict):
        raise MedsslError(f"fold {k} must be a mapping {{train: [...], val: [...], test: [...]}}")
    unknown = sorted(set(fold) - set(_FOLD_KEYS))
    if unknown:
        raise MedsslError(f"unknown key(s) {unknown} in fold {k}; valid: {', '.join(_FOLD_KEYS)}")
    for key in _FOLD_KEYS:
        ids = fold.get(key) or []
        if not isinstance(ids, list) or not all(isinstance(i, (str, int)) for i in ids):
            raise MedsslError(f"fold {k}: {key} must be a list of case ids; got {ids!r}")
    for key in ("train", "test"):
        if not fold.get(key):
            raise MedsslError(f"fold {k}: {key} must list at least one case id")


def split_finetune_options(options: dict[str, Any], *, source: str):
    """The ``finetune`` mapping as (FinetuneConfig, TrainConfig) templates for every cell.

    Raises:
        MedsslError: An unknown key, a key the grid sets itself, or a bad value.
    """
    from medssl.config import TrainConfig, config_from_dict, load_config
    from medssl.segmentation.finetune import FinetuneConfig

    ft_keys = {f.name for f in dataclasses.fields(FinetuneConfig)} - GRID_KEYS
    tr_keys = {f.name for f in dataclasses.fields(TrainConfig)} - GRID_KEYS
    for key in options:
        if key in GRID_KEYS:
            raise MedsslError(
                f"finetune.{key} is set by the experiment grid, not in finetune (in {source})"
            )
        if key not in ft_keys | tr_keys:
            raise MedsslError(
                f"unknown key 'finetune.{key}' in {source}; valid: {', '.join(sorted(ft_keys | tr_keys))}"
            )
    ft = config_from_dict(
        FinetuneConfig, {k: v for k, v in options.items() if k in ft_keys}, source=source
    )
    if len(ft.patch) != 3 or not all(isinstance(p, int) and p >= 1 for p in ft.patch):
        raise MedsslError(f"finetune.patch must be 3 positive integers; got {ft.patch}")
    tr_data = {**FINETUNE_DEFAULTS, "method": "finetune"}
    tr_data.update({k: v for k, v in options.items() if k in tr_keys and k not in ft_keys})
    tr = load_config(None, tr_data, cls=TrainConfig)
    from medssl.models import check_patch, model_names
    from medssl.segmentation.preprocess_choice import check_preprocess

    if tr.model not in model_names():
        raise MedsslError(f"unknown model '{tr.model}'; valid names: {', '.join(model_names())}")
    check_patch(ft.patch, tr.model, tr.model_kwargs, what=f"finetune.patch in {source}")
    check_preprocess(ft.preprocess)
    return ft, tr


def load_experiment_config(
    path: str | Path | None, overrides: dict[str, Any] | None = None
) -> ExperimentConfig:
    """Read an experiment YAML, apply ``key=value`` overrides, and check it.

    Dotted override keys reach into mappings (``finetune.steps=2``).

    Raises:
        MedsslError: Missing/invalid file, unknown keys, or bad values.
    """
    from medssl.config import load_config

    cfg = load_config(path, dict(overrides or {}), cls=ExperimentConfig)
    split_finetune_options(cfg.finetune, source=str(path or "options"))
    return cfg
