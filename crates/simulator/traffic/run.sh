#!/usr/bin/env bash
# Generates every traffic shape of the generator for each seed, replays each
# file in-process with `antirelou simulate --traffic`, and prints one table
# (docs/simulator.md, "The shapes table").
#
#   crates/simulator/traffic/run.sh                      # seed 1, release build
#   SEEDS="1 2 3" crates/simulator/traffic/run.sh        # several seeds
#   SHAPES="flood-2017 campaign" crates/simulator/traffic/run.sh
#   PROFILE=dev crates/simulator/traffic/run.sh          # a debug build (slower runs, faster build)
#   SCENARIO=crates/simulator/traffic/fixed-triggers.toml crates/simulator/traffic/run.sh
#                                                        # the number's settings of a scenario file (here: no baseline)
#
# Environment: SEEDS (1), SHAPES (all), PROFILE (release), SCENARIO (none), OUT (the results
# directory; default target/traffic-runs/<UTC time>). Each run writes
# OUT/reports/<shape>-seed<N>/report.json and spend.svg; the table is also
# saved as OUT/table.md. A run whose invariants broke is marked BROKEN in the
# table and the script exits 1 at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SEEDS="${SEEDS:-1}"
SHAPES="${SHAPES:-all}"
PROFILE="${PROFILE:-release}"
cd "$ROOT"

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
case "$PROFILE" in
  dev|debug) PROFILE_DIR=debug; PROFILE=dev ;;
  *) PROFILE_DIR="$PROFILE" ;;
esac
BIN="$TARGET_DIR/$PROFILE_DIR"
OUT="${OUT:-$TARGET_DIR/traffic-runs/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT/traffic" "$OUT/reports"

echo "== building antirelou and sim-traffic ($PROFILE)" >&2
cargo build --profile "$PROFILE" -p antirelou --bin antirelou -p antirelou-simulator --bin sim-traffic >&2

echo "== generating traffic files into $OUT/traffic" >&2
for seed in $SEEDS; do
  if [[ "$SHAPES" == all ]]; then
    "$BIN/sim-traffic" generate all --seed "$seed" --out-dir "$OUT/traffic"
  else
    for shape in $SHAPES; do
      "$BIN/sim-traffic" generate "$shape" --seed "$seed" --out "$OUT/traffic/$shape-seed$seed.jsonl"
    done
  fi
done

status=0
for file in "$OUT"/traffic/*.jsonl; do
  name="$(basename "$file" .jsonl)"
  echo "== $name" >&2
  started=$(date +%s%N)
  if ! "$BIN/antirelou" simulate --traffic "$file" ${SCENARIO:+--scenario "$SCENARIO"} --no-progress --json --out "$OUT/reports/$name" \
      >"$OUT/reports/$name.stdout" 2>"$OUT/reports/$name.stderr"; then
    echo "   FAILED (see $OUT/reports/$name.stderr)" >&2
    cat "$OUT/reports/$name.stderr" >&2
    status=1
  fi
  echo "   $(( ($(date +%s%N) - started) / 1000000 )) ms" >&2
done

"$BIN/sim-traffic" table "$OUT"/reports/*/report.json | tee "$OUT/table.md"
echo "(reports in $OUT/reports)" >&2
exit "$status"
