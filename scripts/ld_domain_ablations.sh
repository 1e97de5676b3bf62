#!/usr/bin/env bash
# Domain-randomisation and normalisation ablations of the brain LD model at equal
# budget, trained on the FLAIR pool (configs/ld_brain.yaml) and scored zero-shot on
# brats_dev, a source none of them saw.
#
#   R_none        no randomisation
#   R_<part>      one part only (bias_field, gamma, blur, thick_slices, noise, raw_units)
#   R_all         every part, the configured normalisation (robust_interior)
#   N_<norm>      every part, normalisation <norm> instead (NORM, default zscore)
#
# Every run is STEPS steps (default 1000) with the same seed, read at its best
# checkpoint by the loss on simulated samples from the held-out pool scans. The
# brats_dev labels are read only by the scoring script, after training. Runs resume,
# and finished runs are skipped, so the grid can be run in several sittings (about
# 20 min per run on 2 CPU cores); none, all and the other normalisation come first.
#
#   scripts/ld_domain_ablations.sh [OUT=runs/ld_domain_ablations] [STEPS=1000] [NORM=zscore]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/ld_domain_ablations}
STEPS=${2:-1000}
NORM=${3:-zscore}
PY=${PYTHON:-.venv/bin/python}
MEDSSL=${MEDSSL:-.venv/bin/medssl}
PARTS=(bias_field gamma blur thick_slices noise raw_units)
common=(--config configs/ld_brain.yaml --steps "$STEPS" --set ckpt_every=250 --set val_every=250)

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

models=()
run R_none --set method_options.randomise.apply_to=none
models+=(--model "randomisation: none=$OUT/R_none/best_model.pt")
run R_all
models+=(--model "randomisation: all (robust_interior)=$OUT/R_all/best_model.pt")
run "N_$NORM" --set "method_options.normalisation=$NORM"
models+=(--model "randomisation: all ($NORM)=$OUT/N_$NORM/best_model.pt")
for part in "${PARTS[@]}"; do
  only=()
  for other in "${PARTS[@]}"; do
    [[ $other == "$part" ]] || only+=(--set "method_options.randomise.$other=false")
  done
  run "R_$part" "${only[@]}"
  models+=(--model "randomisation: $part only=$OUT/R_$part/best_model.pt")
done

"$PY" scripts/eval_zero_shot_brats.py --out "$OUT/zero_shot" "${models[@]}" \
  --markdown "$OUT/ablations.md"
