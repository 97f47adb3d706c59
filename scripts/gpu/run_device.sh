#!/usr/bin/env bash
# One GPU session's training, as run on the device machine (README: "The shipped model"):
# two wide teachers and a plain student share the GPU; when the teachers are done, a second
# student learns from their mean prediction until the same deadline.
set -u
OUT=${OUT:-/tmp/fer-gpu}
BUDGET=${BUDGET:-500}      # seconds until the students are saved
TEACH=${TEACH:-260}        # seconds until the teachers are saved
mkdir -p "$OUT"
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
T0=$(date +%s)
S="scripts/gpu/train_jax.py ${EXTRA:-}"  # EXTRA: e.g. "--limit 512" for a trial run
python3 $S --name s0 --width 32 --seed 10 --deadline $((T0 + BUDGET)) --out "$OUT" >"$OUT/s0.log" 2>&1 &
TEACHERS=$(mktemp -d)  # this run's own: a warm machine may still hold an earlier run's files
echo "teachers are saved in $TEACHERS"
(
  python3 $S --name t1 --width 96 --hires --seed 11 --deadline $((T0 + TEACH)) --out "$TEACHERS" >"$OUT/t1.log" 2>&1 &
  python3 $S --name t2 --width 64 --hires --seed 12 --deadline $((T0 + TEACH)) --out "$TEACHERS" >"$OUT/t2.log" 2>&1 &
  wait
  teachers=()
  for f in "$TEACHERS"/*_ema.keras; do [ -f "$f" ] && teachers+=(--teacher "$f"); done
  if [ ${#teachers[@]} -eq 0 ]; then
    echo "no teacher finished (see t1.log, t2.log): skd not trained" >"$OUT/skd.log"
    exit 1
  fi
  python3 $S --name skd --width 32 --seed 13 "${teachers[@]}" --deadline $((T0 + BUDGET)) --out "$OUT" >"$OUT/skd.log" 2>&1
) &
wait
tail -n 3 "$OUT"/*.log
