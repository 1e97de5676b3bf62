"""Which labels to evaluate: single label values and named merged groups.

The ``--labels`` syntax is a comma-separated list of items:

* ``N``: one label value, reported under the name ``"N"``;
* ``NAME=N``: the same, reported as ``NAME``;
* ``NAME=A+B+C``: a merged group (a voxel counts when its value is any of A, B, C).

For BraTS (1 necrosis, 2 edema, 3 non-enhancing, 4 enhancing) the usual regions are
``--labels wt=1+2+3+4,tc=1+3+4,et=4``: whole tumour (every label > 0), tumour core,
enhancing tumour.

Without ``--labels``, each case is evaluated on every non-zero value found in its
prediction or its reference, one row per value. With ``--labels``, a value present in
the files but in no listed item is **not** an error: it is left out of the metrics and
reported (per case, and as a warning at the command line), since evaluating a subset
of structures is common (e.g. only the liver of a multi-organ map). A listed item absent
from both files of one case scores by the "both empty" rules there (e.g. BraTS cases
without enhancing tumour); an item absent from every file evaluated is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from medssl.errors import MedsslError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class LabelGroup:
    """A named set of label values evaluated as one binary mask.

    Args:
        name: Name in tables and CSV rows (e.g. ``"2"`` or ``"wt"``).
        values: Label values (>= 1) merged into the mask.
    """

    name: str
    values: tuple[int, ...]

    def mask(self, labelmap: np.ndarray) -> np.ndarray:
        """Binary mask of the voxels whose value is in ``values``.

        Shape:
            ``labelmap``: (X, Y, Z); returns the same shape, dtype bool.
        """
        if len(self.values) == 1:
            return labelmap == self.values[0]
        return np.isin(labelmap, self.values)


def _value(text: str, spec: str) -> int:
    text = text.strip()
    if not text.isdigit():
        raise MedsslError(
            f"--labels: each label must be a whole number >= 1; got '{text}' in '{spec}'"
        )
    value = int(text)
    if value == 0:
        raise MedsslError(f"--labels: 0 is the background and cannot be evaluated; in '{spec}'")
    return value


def parse_labels(spec: str | None) -> list[LabelGroup] | None:
    """Parse a ``--labels`` string such as ``"1,2,wt=1+2+3+4"``.

    Args:
        spec: The option text; ``None`` or blank means "every label found".

    Returns:
        The groups in the given order, or ``None`` for "every label found".

    Raises:
        MedsslError: Empty item, bad name or value, or a name used twice.
    """
    if spec is None or not spec.strip():
        return None
    groups: list[LabelGroup] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            raise MedsslError(f"--labels: empty item in '{spec}' (write e.g. '1,2,wt=1+2')")
        if "=" in item:
            name, _, rhs = item.partition("=")
            name = name.strip()
            if not _NAME.match(name):
                raise MedsslError(
                    f"--labels: a group name must start with a letter and use letters, "
                    f"digits, '_' or '-'; got '{name}' in '{spec}'"
                )
            values = tuple(dict.fromkeys(_value(v, spec) for v in rhs.split("+")))
        else:
            value = _value(item, spec)
            name, values = str(value), (value,)
        if any(g.name == name for g in groups):
            raise MedsslError(f"--labels: name '{name}' is used twice in '{spec}'")
        groups.append(LabelGroup(name, values))
    return groups


def present_values(*labelmaps: np.ndarray) -> list[int]:
    """Sorted non-zero values found in any of the label maps."""
    found: set[int] = set()
    for labelmap in labelmaps:
        found.update(int(v) for v in np.unique(labelmap) if v != 0)
    return sorted(found)


def groups_for_case(
    groups: list[LabelGroup] | None, values: Iterable[int]
) -> tuple[list[LabelGroup], list[int]]:
    """The groups to evaluate for one case, and the present values left out.

    Args:
        groups: The parsed ``--labels`` (``None``: every value present).
        values: Non-zero values present in the case's prediction or reference.

    Returns:
        ``(groups, unlisted)``: with ``groups=None`` one group per present value and no
        unlisted value; otherwise ``groups`` unchanged and the present values that no
        group covers.
    """
    values = sorted(set(values))
    if groups is None:
        return [LabelGroup(str(v), (v,)) for v in values], []
    covered = {v for g in groups for v in g.values}
    return list(groups), [v for v in values if v not in covered]
