#!/usr/bin/env bash
# The restoration family's small fine-tuning study on brats_dev, from scratch:
# pre-train every method on the same unlabelled CT + MRI (configs/data/pretrain_ct_mri.csv:
# brats_dev FLAIR and T1c, the T1 templates, the TotalSegmentator and spleen CTs; no
# label is read), then run the grid of configs/experiment_brats.yaml (random init and
# the five encoders x fractions x seeds x 4 rotated folds) and write its table.
#
#   scripts/study_brats.sh [STEPS=3000]
#
# Every step resumes: finished pre-training runs are skipped, interrupted ones continue
# from their last checkpoint, and the experiment skips finished cells. Sized for a GPU
# (the grid is 96 fine-tuning runs of 300 steps); on a 2-core CPU it takes days.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-3000}
MEDSSL=${MEDSSL:-.venv/bin/medssl}
DATA=configs/data/pretrain_ct_mri.csv

for method in genesis sar rotation jigsaw rpl; do
  out=runs/pretrain_$method
  if [[ -f $out/encoder.pt ]]; then
    echo "== $method: done ($out/encoder.pt)"
  elif [[ -f $out/checkpoints/last.pt ]]; then
    echo "== $method: resuming"
    "$MEDSSL" pretrain --config "configs/$method.yaml" "$DATA" --out "$out" --steps "$STEPS" --resume
  else
    echo "== $method"
    "$MEDSSL" pretrain --config "configs/$method.yaml" "$DATA" --out "$out" --steps "$STEPS"
  fi
done

"$MEDSSL" experiment configs/experiment_brats.yaml
