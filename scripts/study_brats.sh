#!/usr/bin/env bash
# The restoration family's small fine-tuning study on brats_dev, from scratch:
# pre-train every method on the same unlabelled CT + MRI (configs/data/pretrain_ct_mri.csv:
# brats_dev FLAIR and T1c, the T1 templates, the TotalSegmentator and spleen CTs; no
# label is read), then run the grid of an experiment config (random init and the five
# encoders x fractions x seeds x 4 rotated folds) and write its table.
#
#   scripts/study_brats.sh                      # the full study (sized for a GPU)
#   STEPS=400 WIDTH=16 RUNS=runs/study_cpu \
#     EXPERIMENT=configs/experiment_brats_cpu.yaml scripts/study_brats.sh   # 2-core CPU
#
# STEPS: pre-training steps per method; WIDTH: the UNet's base width (the experiment
# config must fine-tune the same width); RUNS: folder of the pre-training runs (the
# experiment config names the encoders in it); METHODS: which methods to pre-train.
# Every step resumes: finished pre-training runs are skipped, interrupted ones continue
# from their last checkpoint, and the experiment skips finished cells.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-3000}
WIDTH=${WIDTH:-32}
RUNS=${RUNS:-runs}
EXPERIMENT=${EXPERIMENT:-configs/experiment_brats.yaml}
METHODS=${METHODS:-genesis sar rotation jigsaw rpl}
MEDSSL=${MEDSSL:-.venv/bin/medssl}
DATA=configs/data/pretrain_ct_mri.csv
WARMUP=$(( STEPS / 10 < 500 ? STEPS / 10 : 500 ))

for method in $METHODS; do
  out=$RUNS/pretrain_$method
  args=(pretrain --config "configs/$method.yaml" "$DATA" --out "$out" --steps "$STEPS"
        --set "model_kwargs.base_width=$WIDTH")
  # the baselines warm up (Adam); keep the warm-up to a tenth of a short run
  grep -q '^warmup_steps:' "configs/$method.yaml" && args+=(--set "warmup_steps=$WARMUP")
  if [[ -f $out/encoder.pt ]]; then
    echo "== $method: done ($out/encoder.pt)"
    continue
  elif [[ -f $out/checkpoints/last.pt ]]; then
    echo "== $method: resuming"
    args+=(--resume)
  else
    echo "== $method"
  fi
  "$MEDSSL" "${args[@]}"
done

"$MEDSSL" experiment "$EXPERIMENT"
