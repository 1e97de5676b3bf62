"""table.md: the mean over several labels, and no size tertiles without enough cases."""

from __future__ import annotations

from medssl.experiments.report import table_markdown


def _row(method: str, case: str, label: str, dice: float, volume: float) -> dict:
    return {
        "method": method, "fraction": 1.0, "seed": 0, "fold": "", "case": case,
        "label": label, "dice": dice, "hd95": 1.0, "volume_ml": volume,
        "pred_volume_ml": volume, "cell": f"{method}_f1.0_s0",
    }  # fmt: skip


def _table(rows: list[dict]) -> str:
    return table_markdown(rows, methods=["a", "b"], fractions=[1.0], title="t", runs_note="1 seed")


def test_several_labels_get_a_mean_dice_table_first():
    rows = [
        _row("a", "x", "liver", 0.9, 1500.0),
        _row("a", "x", "spleen", 0.3, 120.0),
        _row("b", "x", "liver", 0.5, 1500.0),
        _row("b", "x", "spleen", 0.1, 120.0),
    ]
    table = _table(rows)
    mean = table.index("## Mean Dice over liver, spleen")
    assert mean < table.index("## Dice (liver)")
    section = table[mean : table.index("## Dice (liver)")]
    assert "| a | 0.600 |" in section and "| b | 0.300 |" in section


def test_one_label_has_no_mean_table():
    table = _table([_row("a", "x", "wt", 0.8, 100.0), _row("b", "x", "wt", 0.7, 100.0)])
    assert "Mean Dice over" not in table


def test_size_tertiles_need_three_test_cases():
    two = [_row(m, c, "wt", 0.5, v) for m in "ab" for c, v in (("x", 10.0), ("y", 90.0))]
    table = _table(two)
    assert "by tumour size" not in table
    assert "tertiles need at least 3 test cases, and there are 2" in table
    three = two + [_row(m, "z", "wt", 0.5, 50.0) for m in "ab"]
    assert "## Dice (wt) by tumour size" in _table(three)
