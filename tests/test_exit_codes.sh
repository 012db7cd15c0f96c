#!/usr/bin/env bash
# Exit codes of llmwalls as a CI script sees them: 0 fine, 1 a wall checked with --check is hit, 2 bad input.
# Run from anywhere; LLMWALLS may name the command (default: the installed `llmwalls`), e.g.
#   LLMWALLS="python -m llmwalls" bash tests/test_exit_codes.sh
# tests/test_exit_codes.py runs it under pytest with LLMWALLS="<this python> -m llmwalls".
set -u
if [ -z "${LLMWALLS:-}" ]; then
    if command -v llmwalls >/dev/null 2>&1; then LLMWALLS=llmwalls; else LLMWALLS="python3 -m llmwalls"; fi
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
EXAMPLE="$ROOT/profiles/roadmaps/example.toml"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT" || exit 99
failures=0

expect() {  # expect CODE ARGS... : run llmwalls ARGS and compare its exit code
    local want=$1
    shift
    # shellcheck disable=SC2086 # LLMWALLS may be several words ("python -m llmwalls")
    $LLMWALLS "$@" >"$TMP/out" 2>"$TMP/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: llmwalls $* -> exit $got, expected $want"
        sed 's/^/    /' "$TMP/err" | head -5
        failures=$((failures + 1))
    else
        echo "ok   exit $got: llmwalls $*"
    fi
}

# walls
expect 0 walls --model 70b --gpu h100 --gpus 8 --users 64 --context 8k
expect 0 walls --model 70b --gpu h100 --gpus 8 --users 64 --context 8k --check
expect 0 walls --model 70b --gpu h100 --tp 1                      # a wall is hit, but no --check
expect 1 walls --model 70b --gpu h100 --tp 1 --check              # 141 GB of weights on one 80 GB H100
expect 1 walls --model 70b --cluster dgx-h100 --gpus 1024 --users 100k --site-mw 2 --check   # 2.19 MW > 2 MW
expect 1 walls --model 70b --gpu h100 --gpus 8 --users 64 --sweep context=4k..1M --check
expect 2 walls --model 70b --gpu h100 --users -3
expect 2 walls --model lama-70b --gpu h100
expect 2 walls --model 70b --gpu h100 --sweep context=1M..4k      # descending sweep
expect 2 walls --model 70b --gpu h100 --sweep users=                # empty sweep
expect 2 walls --model 70b --gpu h100 --bandwidth-efficiency 0.9..0.6

# audit
expect 0 audit "$EXAMPLE"
expect 1 audit "$EXAMPLE" --check                                 # the example starves by design
expect 0 audit "$EXAMPLE" --months 3 --check                      # ... but not in its first quarter
cat >"$TMP/broken.toml" <<'TOML'
kind = "roadmap"
start = "2026Q1"
[[hardware]]
quarter = "2026Q1"
gpu = "h100x"
gpus = -1
[[workloads]]
name = "chat"
model = "lama-70b"
users = 10
TOML
expect 2 audit "$TMP/broken.toml"
expect 2 audit "$TMP/missing.toml"

# other commands' --check
expect 1 memory --model 70b --gpu h100 --check
expect 0 memory --model 8b --gpu h100 --check
expect 1 power --cluster dgx-h100 --gpus 1024 --site-mw 1 --check
expect 0 power --cluster dgx-h100 --gpus 1024 --site-mw 10 --check
expect 2 memory --model 70b --gpu h100 --batch 0
expect 0 serve --model 8b --gpu h100 --rate 10 --tpot-p99-s 0.05 --check
expect 1 serve --model 70b --gpu h100 --rate 10 --tpot-p99-s 0.001 --check   # no 70B decode step takes 1 ms
expect 2 serve --model 70b --gpu h100 --rate 10 --speculative 3:1.2             # acceptance rate >= 1

if [ "$failures" -ne 0 ]; then
    echo "$failures exit-code check(s) failed"
    exit 1
fi
echo "all exit codes as expected"
