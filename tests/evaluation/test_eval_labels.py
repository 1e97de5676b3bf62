"""The --labels syntax and which present labels are evaluated or reported."""

from __future__ import annotations

import numpy as np
import pytest

from medssl.errors import MedsslError
from medssl.evaluation import LabelGroup, parse_labels
from medssl.evaluation.labels import groups_for_case, present_values


def test_parse_singles_and_groups():
    groups = parse_labels("1, 2,wt=1+2+3+4,et=4")
    assert groups == [
        LabelGroup("1", (1,)),
        LabelGroup("2", (2,)),
        LabelGroup("wt", (1, 2, 3, 4)),
        LabelGroup("et", (4,)),
    ]


@pytest.mark.parametrize("spec", [None, "", "  "])
def test_blank_means_every_label(spec):
    assert parse_labels(spec) is None


@pytest.mark.parametrize(
    "spec, match",
    [
        ("1,,2", "empty item"),
        ("a", "whole number"),
        ("-1", "whole number"),
        ("0", "background"),
        ("wt=1+0", "background"),
        ("wt=1+x", "whole number"),
        ("9x=1", "group name"),
        ("wt=1,wt=2", "used twice"),
        ("2,2", "used twice"),
    ],
)
def test_bad_specs(spec, match):
    with pytest.raises(MedsslError, match=match):
        parse_labels(spec)


def test_group_mask():
    labelmap = np.array([[[0, 1, 2, 3, 4]]])
    assert LabelGroup("wt", (1, 2, 3, 4)).mask(labelmap).sum() == 4
    assert LabelGroup("4", (4,)).mask(labelmap).sum() == 1


def test_default_groups_are_present_values():
    a = np.array([[[0, 2, 5]]])
    b = np.array([[[0, 1, 2]]])
    assert present_values(a, b) == [1, 2, 5]
    groups, unlisted = groups_for_case(None, [1, 2, 5])
    assert [g.name for g in groups] == ["1", "2", "5"] and unlisted == []


def test_unlisted_values_are_reported():
    groups, unlisted = groups_for_case(parse_labels("wt=1+2,7"), [1, 2, 3, 5])
    assert [g.name for g in groups] == ["wt", "7"]
    assert unlisted == [3, 5]
