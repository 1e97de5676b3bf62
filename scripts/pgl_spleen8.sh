#!/usr/bin/env bash
# The abdominal-organ cells of configs/experiment_pgl_organs_cpu.yaml, applied unchanged
# to a second test scan: spleen_8 (MSD Task09), whose manual label holds the spleen only,
# so only the spleen (value 1) is scored. Writes EXP/spleen8/<cell>.csv.
# spleen_8's header is mirrored left-right against its anatomy (read as stored, its
# liver lies on the patient's left), so the scan and its label are first copied into
# EXP/spleen8/ with the world x axis negated; the voxels are unchanged.
#   scripts/pgl_spleen8.sh [runs/pgl_cpu/experiment_organs]
set -euo pipefail
EXP=${1:-runs/pgl_cpu/experiment_organs}
DATA=${MEDSSL_SHARED_DATA:-../shared/data}
PY=${PYTHON:-python}
mkdir -p "$EXP/spleen8"
image="$EXP/spleen8/image_mirrored_lr.nii.gz"
label="$EXP/spleen8/label_mirrored_lr.nii.gz"
for name in image label; do
  out="$EXP/spleen8/${name}_mirrored_lr.nii.gz"
  [ -f "$out" ] || "$PY" -c "import sys, nibabel as nib, numpy as np; im = nib.load(sys.argv[1]); \
nib.save(nib.Nifti1Image(np.asanyarray(im.dataobj), np.diag([-1.0, 1, 1, 1]) @ im.affine, im.header), sys.argv[2])" \
    "$DATA/body/spleen_8/$name.nii.gz" "$out"
done
for cell in "$EXP"/cells/*/; do
  name=$(basename "$cell")
  [ -f "$cell/done.json" ] || { echo "$name: not finished, skipped"; continue; }
  [ -f "$EXP/spleen8/$name.csv" ] && { echo "$name: done"; continue; }
  rm -rf "$EXP/spleen8/pred_$name"
  "$PY" -m medssl.cli.main predict "$image" --model "$cell/model.pt" \
    --out "$EXP/spleen8/pred_$name" --overlap 0.25
  "$PY" -m medssl.cli.main evaluate "$EXP/spleen8/pred_$name/image_mirrored_lr.nii.gz" "$label" \
    --labels spleen=1 --out "$EXP/spleen8/$name.csv"
done
