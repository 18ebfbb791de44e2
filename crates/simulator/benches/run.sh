#!/usr/bin/env bash
# The antirelou benchmarks, side by side, in one run (docs/benchmarks.md).
#
#   crates/simulator/benches/run.sh            # ceiling ratio, candidate path, economics, latency, criterion
#   crates/simulator/benches/run.sh --scale    # also: RSS after a 1,000,000-sender flood over 10,000 numbers
#   crates/simulator/benches/run.sh --quick    # shorter runs (a smoke test of the script)
#
# Needs: cargo, wrk, redis-server, redis-cli, redis-benchmark, curl, python3
# (Debian: apt-get install -y wrk redis-server curl python3).
# Environment: DURATION (seconds per wrk run, 10), CONNECTIONS (64),
# WRK_THREADS (1), ROUNDS (3), OUT (results directory).
# Every server started here listens on a free port of 127.0.0.1 and is
# stopped on exit; never the machine's Redis on 6379.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
BENCHES="$ROOT/crates/simulator/benches"
SCALE=0
QUICK=0
CRITERION=1
for arg in "$@"; do
  case "$arg" in
    --scale) SCALE=1 ;;
    --quick) QUICK=1 ;;
    --no-criterion) CRITERION=0 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
if [[ $QUICK == 1 ]]; then DURATION=3; ROUNDS=1; fi
CONNECTIONS="${CONNECTIONS:-64}"
WRK_THREADS="${WRK_THREADS:-1}"
OUT="${OUT:-$ROOT/target/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
RESULTS="$OUT/results.md"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

log() { echo "== $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { # URL
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing answers at $1" >&2; return 1
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
wrk_rps() { awk '/^Requests\/sec/ {print $2}' "$1"; }
wrk_requests() { awk '/ requests in / {print $1}' "$1"; }
# CPU time (user + system) a process has used, in clock ticks (/proc/PID/stat fields 14 and 15).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)
cpu_us_per_request() { # TICKS_BEFORE TICKS_AFTER REQUESTS -> server CPU microseconds per request
  python3 -c "print(f'{($2 - $1) * 1e6 / $CLK_TCK / $3:.2f}')"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
outcomes() { # BASE_URL -> "outcome=count ..." summed over numbers
  curl -fsS "$1/metrics" | awk -F'[{}]' '/^antirelou_inbound_total\{/ {
      match($2, /outcome="[^"]*"/); o = substr($2, RSTART + 9, RLENGTH - 10); n[o] += $3 }
    END { for (o in n) if (n[o] > 0) printf "%s=%d ", o, n[o]; print "" }'
}
start_serve() { # CONFIG LOG -> pid in SERVE_PID
  "$BIN/antirelou" serve --config "$1" >"$2" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

log "building (release)"
(cd "$ROOT" && cargo build --release -q -p antirelou -p antirelou-simulator)

CPU="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
{
  echo "# antirelou benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "- machine: $(nproc) CPUs, $CPU, $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "- commit: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$ROOT" && git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "- load generator: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s on the same machine; $ROUNDS alternating rounds, medians"
  echo "- $(wrk --version 2>&1 | head -1 | cut -c1-40); $(redis-server --version | cut -d' ' -f1-3)"
  echo
} >"$RESULTS"

# --- 1. Flood path ceiling ratio -------------------------------------------
log "1. flood path ceiling: antirelou serve vs bare-twiml (repeat-sender flood)"
P_SERVE=$(free_port)
P_BARE=$(free_port)
"$BIN/sim-bench" config --out "$OUT/flood.toml" --listen "127.0.0.1:$P_SERVE" --ledger-path "$OUT/flood.sqlite3"
"$BIN/sim-bench" requests --config "$OUT/flood.toml" --kind repeat --senders 50 --count 200000 --out "$OUT/repeat.txt"
start_serve "$OUT/flood.toml" "$OUT/serve-flood.log"
FLOOD_PID=$SERVE_PID
"$BIN/bare-twiml" "127.0.0.1:$P_BARE" >"$OUT/bare.log" 2>&1 &
BARE_PID=$!
PIDS+=("$BARE_PID")
wait_http "http://127.0.0.1:$P_SERVE/healthz"
sleep 0.5
run_wrk() { # PORT SCRIPT FILE LOG [DURATION] [once]
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${5:-$DURATION}s" -s "$BENCHES/wrk/$2" "http://127.0.0.1:$1" -- "$3" "$WRK_THREADS" ${6:-} >"$4" 2>&1
}
run_wrk "$P_SERVE" replay.lua "$OUT/repeat.txt" "$OUT/wrk-warm-serve.txt" 3
run_wrk "$P_BARE" replay.lua "$OUT/repeat.txt" "$OUT/wrk-warm-bare.txt" 3
SERVE_RPS=()
BARE_RPS=()
SERVE_CPU=()
BARE_CPU=()
for round in $(seq 1 "$ROUNDS"); do
  BEFORE=$(cpu_ticks "$FLOOD_PID")
  run_wrk "$P_SERVE" replay.lua "$OUT/repeat.txt" "$OUT/wrk-serve-$round.txt"
  SERVE_CPU+=("$(cpu_us_per_request "$BEFORE" "$(cpu_ticks "$FLOOD_PID")" "$(wrk_requests "$OUT/wrk-serve-$round.txt")")")
  SERVE_RPS+=("$(wrk_rps "$OUT/wrk-serve-$round.txt")")
  BEFORE=$(cpu_ticks "$BARE_PID")
  run_wrk "$P_BARE" replay.lua "$OUT/repeat.txt" "$OUT/wrk-bare-$round.txt"
  BARE_CPU+=("$(cpu_us_per_request "$BEFORE" "$(cpu_ticks "$BARE_PID")" "$(wrk_requests "$OUT/wrk-bare-$round.txt")")")
  BARE_RPS+=("$(wrk_rps "$OUT/wrk-bare-$round.txt")")
  log "   round $round: antirelou ${SERVE_RPS[-1]}/s ${SERVE_CPU[-1]} µs CPU/request, bare ${BARE_RPS[-1]}/s ${BARE_CPU[-1]} µs CPU/request"
done
SERVE_CPU_MED=$(printf '%s\n' "${SERVE_CPU[@]}" | median)
BARE_CPU_MED=$(printf '%s\n' "${BARE_CPU[@]}" | median)
CPU_RATIO=$(ratio "$SERVE_CPU_MED" "$BARE_CPU_MED")
SERVE_MED=$(printf '%s\n' "${SERVE_RPS[@]}" | median)
BARE_MED=$(printf '%s\n' "${BARE_RPS[@]}" | median)
CEILING=$(ratio "$SERVE_MED" "$BARE_MED")
FLOOD_OUTCOMES=$(outcomes "http://127.0.0.1:$P_SERVE")
MAX_RPS=$SERVE_MED
stop "$BARE_PID"

# --- 5. Latency at half the maximum throughput (same server) ---------------
log "5. latency at half the maximum throughput"
HALF=$(python3 -c "print(int($MAX_RPS / 2))")
LAT_MESSAGES=$(( HALF * (QUICK == 1 ? 5 : 20) ))
"$BIN/antirelou" simulate --target "http://127.0.0.1:$P_SERVE" --config "$OUT/flood.toml" \
  --scenario flood-2017 --messages "$LAT_MESSAGES" --seed 5 --rate "$HALF" --concurrency "$CONNECTIONS" \
  --no-progress --json >"$OUT/latency-half.json"
"$BIN/antirelou" simulate --target "http://127.0.0.1:$P_SERVE" --config "$OUT/flood.toml" \
  --scenario flood-2017 --seed 6 --concurrency "$CONNECTIONS" --no-progress --json >"$OUT/http-flood-2017.json"
FLOOD_RSS=$(rss_kb "$FLOOD_PID")
stop "$FLOOD_PID"
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }

# --- 2. Candidate-reply path vs redis-benchmark EVALSHA --------------------
log "2. candidate-reply path (every message from a new sender, Redis ledger) vs redis-benchmark EVALSHA"
P_REDIS=$(free_port)
mkdir -p "$OUT/redis"
redis-server --port "$P_REDIS" --bind 127.0.0.1 --save "" --appendonly no --dir "$OUT/redis" >"$OUT/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for _ in $(seq 1 100); do redis-cli -p "$P_REDIS" ping >/dev/null 2>&1 && break; sleep 0.1; done
P_CAND=$(free_port)
"$BIN/sim-bench" config --unlimited --out "$OUT/candidate.toml" --listen "127.0.0.1:$P_CAND" \
  --redis "redis://127.0.0.1:$P_REDIS/0" --key-prefix bench-serve
# More lines than a run can send: every request is a new sender (the outcomes prove it).
CAND_COUNT=$(( QUICK == 1 ? 100000 : 400000 ))
"$BIN/sim-bench" requests --config "$OUT/candidate.toml" --kind distinct --count "$CAND_COUNT" --out "$OUT/distinct.txt"
SHA=$(redis-cli -p "$P_REDIS" SCRIPT LOAD "$(cat "$ROOT/crates/ledger/src/redis/decide.lua")")
mapfile -t EVAL_ARGS < <("$BIN/sim-bench" evalsha-args --sha "$SHA" --prefix bench-redis)
CAND_RPS=()
REDIS_RPS=()
CAND_OUTCOMES=""
for round in $(seq 1 "$ROUNDS"); do
  redis-cli -p "$P_REDIS" FLUSHALL >/dev/null
  redis-cli -p "$P_REDIS" SCRIPT LOAD "$(cat "$ROOT/crates/ledger/src/redis/decide.lua")" >/dev/null
  start_serve "$OUT/candidate.toml" "$OUT/serve-candidate-$round.log"
  CAND_PID=$SERVE_PID
  wait_http "http://127.0.0.1:$P_CAND/healthz"
  run_wrk "$P_CAND" replay.lua "$OUT/distinct.txt" "$OUT/wrk-candidate-$round.txt" "$DURATION" once
  CAND_RPS+=("$(wrk_rps "$OUT/wrk-candidate-$round.txt")")
  CAND_OUTCOMES=$(outcomes "http://127.0.0.1:$P_CAND")
  stop "$CAND_PID"
  redis-cli -p "$P_REDIS" FLUSHALL >/dev/null
  redis-cli -p "$P_REDIS" SCRIPT LOAD "$(cat "$ROOT/crates/ledger/src/redis/decide.lua")" >/dev/null
  redis-benchmark -h 127.0.0.1 -p "$P_REDIS" -c "$CONNECTIONS" -n $(( QUICK == 1 ? 100000 : 300000 )) -r 100000000 --csv \
    "${EVAL_ARGS[@]}" >"$OUT/redis-benchmark-$round.csv" 2>&1
  REDIS_RPS+=("$(awk -F'","' 'NR==2 {print $2}' "$OUT/redis-benchmark-$round.csv")")
  log "   round $round: antirelou ${CAND_RPS[-1]} decisions/s, redis-benchmark EVALSHA ${REDIS_RPS[-1]}/s ($CAND_OUTCOMES)"
done
CAND_MED=$(printf '%s\n' "${CAND_RPS[@]}" | median)
REDIS_MED=$(printf '%s\n' "${REDIS_RPS[@]}" | median)
CANDIDATE=$(ratio "$CAND_MED" "$REDIS_MED")
stop "$REDIS_PID"

# --- 3. Economics -----------------------------------------------------------
log "3. economics (in-process, virtual clock)"
"$BIN/antirelou" simulate --scenario flood-2017 --seed 1 --no-progress --json --out "$OUT/flood-2017" >"$OUT/flood-2017.json"
"$BIN/antirelou" simulate --scenario spoofed-senders --seed 1 --no-progress --json --out "$OUT/spoofed-senders" >"$OUT/spoofed-senders.json"

# --- 4. Scale ---------------------------------------------------------------
SCALE_ROW="| 4. scale: RSS, 10,000 numbers / 100 tenants, after 1,000,000 distinct senders | not run (use --scale) | | ≤ 150 MB, idle ≤ 60 MB | |"
if [[ $SCALE == 1 ]]; then
  log "4. scale: 10,000 numbers over 100 tenants, 1,000,000 distinct senders"
  P_BIG=$(free_port)
  "$BIN/sim-bench" config --out "$OUT/scale.toml" --listen "127.0.0.1:$P_BIG" --ledger-path "$OUT/scale.sqlite3" \
    --tenants 100 --numbers-per-tenant 100
  start_serve "$OUT/scale.toml" "$OUT/serve-scale.log"
  BIG_PID=$SERVE_PID
  wait_http "http://127.0.0.1:$P_BIG/healthz"
  sleep 1
  RSS_IDLE=$(rss_kb "$BIG_PID")
  SCALE_MESSAGES=$(( QUICK == 1 ? 50000 : 1000000 ))
  "$BIN/antirelou" simulate --target "http://127.0.0.1:$P_BIG" --config "$OUT/scale.toml" --all-numbers \
    --scenario spoofed-senders --messages "$SCALE_MESSAGES" --genuine 0 --seed 4 --concurrency "$CONNECTIONS" \
    --no-progress --json >"$OUT/scale.json"
  sleep 2
  RSS_AFTER=$(rss_kb "$BIG_PID")
  HWM=$(hwm_kb "$BIG_PID")
  stop "$BIG_PID"
  SCALE_ROW="| 4. scale: RSS, 10,000 numbers / 100 tenants, after $SCALE_MESSAGES distinct senders | $((RSS_AFTER / 1024)) MB (peak $((HWM / 1024)) MB; $((RSS_IDLE / 1024)) MB idle) | $(json "$OUT/scale.json" "round(d['throughput_per_second'])") msg/s driven | ≤ 150 MB, idle ≤ 60 MB | $(python3 -c "print('met' if $HWM/1024 <= 150 and $RSS_IDLE/1024 <= 60 else 'NOT met')") |"
fi

# --- 6. criterion -----------------------------------------------------------
if [[ $CRITERION == 1 ]]; then
  log "6. cargo bench (criterion)"
  (cd "$ROOT" && cargo bench -q -p antirelou-simulator --bench hot_paths -- --warm-up-time 1 --measurement-time $(( QUICK == 1 ? 1 : 3 ))) \
    >"$OUT/criterion.txt" 2>&1 || true
fi

# --- table --------------------------------------------------------------------
{
  echo "| benchmark | antirelou | reference | goal | |"
  echo "|---|---|---|---|---|"
  echo "| 1. flood path ceiling: webhooks/s, repeat-sender flood (50 senders) | ${SERVE_MED}/s (rounds: ${SERVE_RPS[*]}) | bare actix-web ${BARE_MED}/s (rounds: ${BARE_RPS[*]}) | ratio ≥ 0.85 | **$CEILING** |"
  echo "| 1b. flood path CPU per request: server utime+stime (/proc/PID/stat) / wrk requests, same rounds | ${SERVE_CPU_MED} µs (rounds: ${SERVE_CPU[*]}) | bare actix-web ${BARE_CPU_MED} µs (rounds: ${BARE_CPU[*]}) | ratio ≤ 1.15 | **$CPU_RATIO** |"
  echo "| 2. candidate-reply path: decisions/s, every sender new, Redis ledger | ${CAND_MED}/s (rounds: ${CAND_RPS[*]}) | redis-benchmark EVALSHA decide.lua ${REDIS_MED}/s (rounds: ${REDIS_RPS[*]}) | ratio ≥ 0.5 | **$CANDIDATE** |"
  echo "| 3. economics: flood-2017 (seed 1) | $(json "$OUT/flood-2017.json" "'EUR '+d['spend']+', '+str(d['replies'])+' replies, genuine answered '+str(d['genuine_answered'])+'/'+str(d['genuine_senders'])+' ('+str(d['genuine_answered_percent'])+' %)'") | naive responder EUR $(json "$OUT/flood-2017.json" "d['naive_spend']") | ≤ 1 reply per sender, caps | **$(json "$OUT/flood-2017.json" "f\"{d['spend_vs_naive']*100:.2f} %\"")** of naive |"
  echo "| 3. economics: spoofed-senders (seed 1) | $(json "$OUT/spoofed-senders.json" "'EUR '+d['spend']+', '+str(d['replies'])+' replies, genuine answered '+str(d['genuine_answered'])+'/'+str(d['genuine_senders'])+' ('+str(d['genuine_answered_percent'])+' %)'") | naive responder EUR $(json "$OUT/spoofed-senders.json" "d['naive_spend']") | caps hold | **$(json "$OUT/spoofed-senders.json" "f\"{d['spend_vs_naive']*100:.2f} %\"")** of naive |"
  echo "$SCALE_ROW"
  echo "| 5. latency at half max ($HALF msg/s offered, $LAT_MESSAGES msgs) | p50 $(json "$OUT/latency-half.json" "d['latency_ms']['p50']") ms, p99 $(json "$OUT/latency-half.json" "d['latency_ms']['p99']") ms, max $(json "$OUT/latency-half.json" "d['latency_ms']['max']") ms | achieved $(json "$OUT/latency-half.json" "round(d['throughput_per_second'])") msg/s | | |"
  echo
  echo "- flood-path outcomes (antirelou, all rounds): $FLOOD_OUTCOMES"
  echo "- candidate-path outcomes (last round): $CAND_OUTCOMES"
  echo "- RSS of the flood-path server after its runs: $((FLOOD_RSS / 1024)) MB"
  echo "- flood-2017 over HTTP at full speed (our driver, $CONNECTIONS in flight): $(json "$OUT/http-flood-2017.json" "str(round(d['throughput_per_second']))+' msg/s, p50 '+str(round(d['latency_ms']['p50'],3))+' ms, p99 '+str(round(d['latency_ms']['p99'],3))+' ms; replies '+str(d['replies'])+', spend EUR '+d['spend']")"
  if [[ -f "$OUT/criterion.txt" ]]; then
    echo
    echo "criterion (cargo bench -p antirelou-simulator --bench hot_paths):"
    echo
    echo '```'
    grep -E '^[a-z0-9_/]+ +time:|^[a-z0-9_/]+$|^ +time:' "$OUT/criterion.txt" | sed 's/  */ /g' || true
    echo '```'
  fi
} >>"$RESULTS"
cat "$RESULTS"
log "results in $OUT"
