#!/usr/bin/env bash
# The abdominal-organ cells of configs/experiment_pgl_organs_cpu.yaml, applied unchanged
# to a second test scan: spleen_8 (MSD Task09), whose manual label holds the spleen only,
# so only the spleen (value 1) is scored. Writes EXP/spleen8/<cell>.csv.
#   scripts/pgl_spleen8.sh [runs/pgl_cpu/experiment_organs]
set -euo pipefail
EXP=${1:-runs/pgl_cpu/experiment_organs}
DATA=${MEDSSL_SHARED_DATA:-../shared/data}
PY=${PYTHON:-python}
image="$DATA/body/spleen_8/image.nii.gz"
label="$DATA/body/spleen_8/label.nii.gz"
mkdir -p "$EXP/spleen8"
for cell in "$EXP"/cells/*/; do
  name=$(basename "$cell")
  [ -f "$cell/done.json" ] || { echo "$name: not finished, skipped"; continue; }
  [ -f "$EXP/spleen8/$name.csv" ] && { echo "$name: done"; continue; }
  "$PY" -m medssl.cli.main predict "$image" --model "$cell/model.pt" \
    --out "$EXP/spleen8/pred_$name" --overlap 0.25
  "$PY" -m medssl.cli.main evaluate "$EXP/spleen8/pred_$name/image.nii.gz" "$label" \
    --labels spleen=1 --out "$EXP/spleen8/$name.csv"
done
