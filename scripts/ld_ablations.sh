#!/usr/bin/env bash
# Layer-decomposition ablations at equal budget (small runs), scored zero-shot on brats_dev.
#
#   transformation ablation: none / LT only / LT+GB+ED   (all four losses)
#   loss ablation:           L2 only (B0) / all four (B3) (all transforms)
#   normal pool:             + the MNI152 pseudo-FLAIR (scripts/make_pseudo_flair.py)
#
# Every run is configs/ld_brain.yaml with STEPS steps (default 600) and no real items
# (real_fraction 0, so that the L2-only row, which has no L3, is comparable); each is
# read at its best checkpoint by simulated validation loss. The brats_dev labels are
# read only by the scoring script, after training.
#
#   scripts/ld_ablations.sh [OUT=runs/ld_ablations] [STEPS=600]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/ld_ablations}
STEPS=${2:-600}
PY=${PYTHON:-.venv/bin/python}
MEDSSL=${MEDSSL:-.venv/bin/medssl}
common=(--config configs/ld_brain.yaml --steps "$STEPS" --set method_options.real_fraction=0
        --set ckpt_every=100 --set val_every=100)
off_all=(--set method_options.synthesis.elastic=false --set method_options.synthesis.blur=false
         --set method_options.synthesis.intensity=false)
off_gb_ed=(--set method_options.synthesis.elastic=false --set method_options.synthesis.blur=false)

run() {  # name, extra args...
  local name=$1; shift
  if [[ -f "$OUT/$name/model.pt" ]]; then
    echo "== $name: done"
  elif [[ -f "$OUT/$name/checkpoints/last.pt" ]]; then
    echo "== $name: resuming"; "$MEDSSL" pretrain "${common[@]}" "$@" --out "$OUT/$name" --resume
  else
    echo "== $name"; "$MEDSSL" pretrain "${common[@]}" "$@" --out "$OUT/$name"
  fi
  "$PY" -c "import sys; from medssl.zeroshot.package import package_weights as p; \
p(sys.argv[1] + '/model.pt', sys.argv[1] + '/best_model.pt', checkpoint=sys.argv[1] + '/checkpoints/best.pt')" "$OUT/$name"
}

run T0_none       --set method_options.ablation=B3 "${off_all[@]}"
run T1_LT         --set method_options.ablation=B3 "${off_gb_ed[@]}"
run T2_LT_GB_ED   --set method_options.ablation=B3
run L2_only       --set method_options.ablation=B0
template=runs/templates/mni152_pseudo_flair.nii.gz
[[ -f $template ]] || "$PY" scripts/make_pseudo_flair.py --out "$template"
run N_templates   --set method_options.ablation=B3 \
  --set "data=[../shared/data/brats_dev/*/flair.nii.gz, $template]"

"$PY" scripts/eval_zero_shot_brats.py --no-baselines --out "$OUT/zero_shot" \
  --model "T: none (all four losses)=$OUT/T0_none/best_model.pt" \
  --model "T: LT only (all four losses)=$OUT/T1_LT/best_model.pt" \
  --model "T: LT+GB+ED = L: all four (B3)=$OUT/T2_LT_GB_ED/best_model.pt" \
  --model "L: L2 only (B0; LT+GB+ED)=$OUT/L2_only/best_model.pt" \
  --model "N: + MNI152 pseudo-FLAIR normal (B3; LT+GB+ED)=$OUT/N_templates/best_model.pt" \
  --markdown "$OUT/ablations.md"
