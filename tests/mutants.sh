#!/usr/bin/env bash
# Mutation testing as a habit (not in CI: it takes longer than CI may).
# cargo-mutants changes one line of the money, privacy, signature and
# decision code at a time and runs that crate's tests: a mutant the tests
# do not catch ("missed") is a line no test checks. docs/testing.md keeps
# the last scores and explains every survivor on a money, privacy or
# signature line.
#
#   cargo install cargo-mutants --locked
#   bash tests/mutants.sh                 # every area, each within its budget
#   bash tests/mutants.sh money rules     # some areas
#   MUTANTS_PERCENT=300 bash tests/mutants.sh # three times the budgets (a slow or busy machine)
#
# Each area runs alone (--jobs 1) in a copy of the tree, so the worktree
# stays usable; results land in $MUTANTS_OUT/<area>/mutants.out
# (caught.txt, missed.txt, timeout.txt, unviable.txt) and are summed up at
# the end. An area stopped by its budget keeps the outcomes it reached.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

cargo mutants --version >/dev/null 2>&1 || {
    echo "cargo-mutants is missing: cargo install cargo-mutants --locked" >&2
    exit 2
}

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out=${MUTANTS_OUT:-$target_dir/mutants}
# Mutated builds get their own target directory, so they never invalidate
# the one the worktree uses (seed it with a copy of that one to skip
# rebuilding the dependencies).
export CARGO_TARGET_DIR=${MUTANTS_TARGET_DIR:-$target_dir-mutants}
# Budgets in percent of the minutes below.
percent=${MUTANTS_PERCENT:-100}
# A test run longer than this is a mutant that hangs (an infinite loop).
test_timeout=${MUTANTS_TEST_TIMEOUT:-240}

# area | package | minutes | files (the money, privacy, signature and decision lines first)
areas=(
    "rules|antirelou-ledger|8|crates/ledger/src/rules.rs"
    "state|antirelou-engine|8|crates/engine/src/number/state.rs"
    "signature|antirelou-providers|5|crates/providers/src/twilio/signature.rs"
    "money|antirelou-domain|7|crates/domain/src/money.rs crates/domain/src/segments.rs"
    "privacy|antirelou-domain|4|crates/domain/src/sender.rs crates/domain/src/seal.rs"
    "ledger-model|antirelou-ledger|5|crates/ledger/src/model.rs crates/ledger/src/sqlite/decide.rs"
    "domain-rest|antirelou-domain|6|crates/domain/src/shield.rs crates/domain/src/period.rs crates/domain/src/phone.rs crates/domain/src/opt_out.rs"
)

wanted=("$@")
selected() {
    ((${#wanted[@]} == 0)) && return 0
    local a
    for a in "${wanted[@]}"; do [ "$a" = "$1" ] && return 0; done
    return 1
}

count() {
    local n=0
    [ -f "$1" ] && n=$(grep -c . "$1")
    echo "$n"
}

# Warm-up, outside the budgets: each package's tests built alone (its own
# feature set, so its own dependency builds) in the mutants' target
# directory; the budgets then pay for mutants, not for compiling tokio.
for entry in "${areas[@]}"; do
    IFS='|' read -r area package _ _ <<<"$entry"
    selected "$area" || continue
    echo "== warm-up: $package"
    cargo test --no-run --quiet --package "$package" >/dev/null 2>&1 || echo "   $package does not build" >&2
done

for entry in "${areas[@]}"; do
    IFS='|' read -r area _ minutes files <<<"$entry"
    selected "$area" || continue
    budget=$((minutes * 60 * percent / 100))
    args=()
    for f in $files; do args+=(--file "$f"); done
    echo "== $area: $files (budget ${budget}s)"
    rm -rf "$out/$area"
    mkdir -p "$out/$area"
    start=$(date +%s)
    # SIGINT is how cargo-mutants is asked to stop: it ends its cargo run and keeps its outcomes.
    timeout --signal=INT --kill-after=60 "$budget" \
        cargo mutants --jobs 1 --timeout "$test_timeout" --build-timeout 900 \
        --output "$out/$area" "${args[@]}" >"$out/$area/console.log" 2>&1
    status=$?
    echo "   ended with $status after $(($(date +%s) - start))s (0: all caught, 2: some missed, 124/130: budget reached)"
done

echo
printf '%-14s %8s %8s %8s %8s %8s %s\n' area tested caught missed timeout unviable score
for entry in "${areas[@]}"; do
    IFS='|' read -r area _ _ _ <<<"$entry"
    dir="$out/$area/mutants.out"
    [ -d "$dir" ] || continue
    caught=$(count "$dir/caught.txt")
    missed=$(count "$dir/missed.txt")
    timeouts=$(count "$dir/timeout.txt")
    unviable=$(count "$dir/unviable.txt")
    viable=$((caught + missed + timeouts))
    score="-"
    ((viable > 0)) && score="$(((caught + timeouts) * 100 / viable)) %"
    printf '%-14s %8s %8s %8s %8s %8s %s\n' "$area" "$((viable + unviable))" "$caught" "$missed" "$timeouts" "$unviable" "$score"
done
echo
for entry in "${areas[@]}"; do
    IFS='|' read -r area _ _ _ <<<"$entry"
    missed="$out/$area/mutants.out/missed.txt"
    [ -s "$missed" ] && { echo "missed in $area:"; sed 's/^/  /' "$missed"; }
done
exit 0
