"""Map label values to training class indices and back, using the ``--labels`` syntax.

The syntax is the one of ``medssl evaluate`` (:mod:`medssl.evaluation.labels`):
``1,2`` trains two classes; ``wt=1+2+3+4`` merges BraTS labels into one whole-tumour
class. Class ``k`` (1-based) is the ``k``-th item; background is 0, and so is every
value in no item: ``liver=5`` trains the liver alone from a multi-organ map such as
TotalSegmentator's, the other organs becoming background. Predictions are
written with the **smallest** value of each item (``wt=1+2+3+4`` → 1), so that the same
``--labels`` string evaluates them.
"""

from __future__ import annotations

import numpy as np

from medssl.errors import MedsslError
from medssl.evaluation.labels import LabelGroup, parse_labels


def parse_classes(spec: str) -> list[LabelGroup]:
    """Parse and check a ``--labels`` string for training (items must not overlap).

    Raises:
        MedsslError: Empty spec, bad syntax, or a value in two items.
    """
    groups = parse_labels(spec)
    if not groups:
        raise MedsslError(f"--labels must name at least one label value; got '{spec}'")
    seen: dict[int, str] = {}
    for group in groups:
        for value in group.values:
            if value in seen:
                raise MedsslError(
                    f"--labels: value {value} is in both '{seen[value]}' and '{group.name}'"
                )
            seen[value] = group.name
    return groups


def to_class_indices(label: np.ndarray, groups: list[LabelGroup], *, source: str) -> np.ndarray:
    """Label values → class indices (0 = background, also for values in no item).

    Raises:
        MedsslError: If the label holds a negative value.
    """
    allowed = {v for g in groups for v in g.values}
    present = {int(v) for v in np.unique(label)}
    if min(present, default=0) < 0:
        raise MedsslError(f"{source}: label values must be >= 0; found {min(present)}")
    lut = np.zeros(max(allowed | present | {0}) + 1, dtype=np.int64)
    for k, group in enumerate(groups, start=1):
        lut[list(group.values)] = k
    return lut[label.astype(np.int64)]


def to_label_values(classes: np.ndarray, groups: list[LabelGroup]) -> np.ndarray:
    """Class indices → label values (the smallest value of each item)."""
    lut = np.array([0] + [min(g.values) for g in groups], dtype=np.int64)
    out = lut[classes]
    return out.astype(np.uint8 if lut.max() < 256 else np.int32)


def check_classes_present(cases, groups: list[LabelGroup], *, source: str) -> None:
    """Every ``--labels`` item has foreground in at least one training case.

    Raises:
        MedsslError: Naming the items found in no training label, and ``source``.
    """
    found: set[int] = set()
    for case in cases:
        found.update(int(v) for v in np.unique(case.classes))
    missing = [g for k, g in enumerate(groups, start=1) if k not in found]
    if missing:
        listed = ", ".join(f"{g.name}={'+'.join(map(str, g.values))}" for g in missing)
        raise MedsslError(
            f"--labels: {listed} found in no training label of {source}; "
            "each item must name values present in the label maps"
        )
