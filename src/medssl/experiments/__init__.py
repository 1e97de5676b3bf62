"""Fine-tuning experiments: a grid of methods × labelled fractions × seeds (× folds).

Typical use::

    from medssl.experiments import load_experiment_config, run_experiment

    cfg = load_experiment_config("configs/experiment_brats.yaml", {"finetune.steps": 2})
    result = run_experiment(cfg)
    print(result.table_md.read_text())
"""

from medssl.experiments.cell import CellResult, run_cell
from medssl.experiments.config import ExperimentConfig, load_experiment_config
from medssl.experiments.grid import Cell, Split, load_splits, make_cells, plan
from medssl.experiments.report import result_rows, size_edges, table_markdown, write_reports
from medssl.experiments.runner import ExperimentResult, run_experiment

__all__ = [
    "Cell",
    "CellResult",
    "ExperimentConfig",
    "ExperimentResult",
    "Split",
    "load_experiment_config",
    "load_splits",
    "make_cells",
    "plan",
    "result_rows",
    "run_cell",
    "run_experiment",
    "size_edges",
    "table_markdown",
    "write_reports",
]
