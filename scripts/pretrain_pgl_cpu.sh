#!/usr/bin/env bash
# CPU-sized PGL and BYOL pre-training on the real CT list (configs/data/pretrain_pgl_ct.csv),
# sized before any result was seen: full 3D ResNet-50, 96x96x16 views, batch 2, bf16,
# one thread each, LARS at the paper's lr 0.2 with a short warm-up. Resumable: rerun the
# script and each unfinished run continues from its last checkpoint.
#   STEPS=150 RUNS=runs/pgl_cpu scripts/pretrain_pgl_cpu.sh [pgl byol ...]
set -euo pipefail
STEPS=${STEPS:-150}
RUNS=${RUNS:-runs/pgl_cpu}
PY=${PYTHON:-python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
methods=("$@")
[ ${#methods[@]} -eq 0 ] && methods=(pgl byol)
mkdir -p "$RUNS"
for m in "${methods[@]}"; do
  out="$RUNS/pretrain_$m"
  [ -f "$out/encoder.pt" ] && { echo "$m: done"; continue; }
  resume=()
  [ -f "$out/checkpoints/last.pt" ] && resume=(--resume)
  "$PY" -m medssl.cli.main pretrain --config "configs/$m.yaml" configs/data/pretrain_pgl_ct.csv \
    --out "$out" --steps "$STEPS" --batch-size 2 --num-workers 1 "${resume[@]}" \
    --set warmup_steps=$((STEPS / 10)) --set ckpt_every=25 --set log_every=5 \
    --set progress=false > "$RUNS/pretrain_$m.log" 2>&1 &
done
wait
