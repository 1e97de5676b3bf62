#!/usr/bin/env bash
# CPU-sized pre-training of the four starts compared in the PGL experiments, on every CT
# and MR volume of ../shared/data without labels (configs/data/pretrain_pgl_ct_mr.csv).
# Sized before any result was seen: full 3D ResNet-50, batch 2, bf16, run one after the
# other with all threads. PGL and BYOL: 96x96x16 views, LARS at the paper's lr 0.2 with a
# 10 % warm-up. Models Genesis: the same ResNet-50 as the encoder of a segnet, on
# 96x96x32 sub-volumes (its stride-32 encoder needs 32 slices). Resumable: rerun the
# script and each unfinished run continues from its last checkpoint.
#   STEPS=500 RUNS=runs/pgl_cpu scripts/pretrain_pgl_cpu.sh [pgl byol genesis ...]
set -euo pipefail
STEPS=${STEPS:-500}
RUNS=${RUNS:-runs/pgl_cpu}
DATA=${DATA:-configs/data/pretrain_pgl_ct_mr.csv}
PY=${PYTHON:-python}
methods=("$@")
[ ${#methods[@]} -eq 0 ] && methods=(pgl byol genesis)
mkdir -p "$RUNS"
for m in "${methods[@]}"; do
  out="$RUNS/pretrain_$m"
  [ -f "$out/encoder.pt" ] && { echo "$m: done"; continue; }
  extra=()
  [ -f "$out/checkpoints/last.pt" ] && extra+=(--resume)
  case "$m" in
    genesis) extra+=(--set model=segnet --set model_kwargs.encoder=resnet3d50
                     --set method_options.crop_shape=[96,96,32]) ;;
    *) extra+=(--set warmup_steps=$((STEPS / 10))) ;;
  esac
  "$PY" -m medssl.cli.main pretrain --config "configs/$m.yaml" "$DATA" \
    --out "$out" --steps "$STEPS" --batch-size 2 --num-workers 1 "${extra[@]}" \
    --set ckpt_every=50 --set log_every=10 --set progress=false > "$RUNS/pretrain_$m.log" 2>&1
done
