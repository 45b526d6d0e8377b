#!/usr/bin/env bash
# Manual check, not CI: drives the demo in a real terminal (a tmux pane of 80x24) RUNS times,
# presses Ctrl-C once each time, and counts the runs that stopped gracefully: the steady
# consumer's cleanup ran ("connection closed"), the group reported "stopped", the program
# exited 0, and the table's header is on screen once (no piles of wrapped rows).
#
#   scripts/demo-ctrl-c.sh [RUNS=20] [COMMAND='node --import tsx examples/demo.ts'] [EXPECTED_EXIT=0]
#
# COMMAND is what `npm start` runs. `npm start` itself works as well, but npm exits 130 after
# an interrupt whatever its script did: scripts/demo-ctrl-c.sh 20 'npm start' 130
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
command=${2:-node --import tsx examples/demo.ts}
expected=${3:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
graceful=0
for ((i = 1; i <= runs; i++)); do
  session="xs-demo-$$-$i"
  status="$work/status-$i"
  # The pane runs a wrapper that records the exit status. Its trap is a handler (not an
  # ignore, which the demo would inherit): the wrapper outlives Ctrl-C and writes the status.
  printf 'trap true INT\n%s\necho "EXIT=$?" > %s\nsleep 600\n' "$command" "$status" > "$work/run-$i.sh"
  tmux new-session -d -s "$session" -x 80 -y 24 "bash $work/run-$i.sh"
  for _ in $(seq 1 120); do
    tmux capture-pane -p -t "$session" | grep -q '^WORKER' && break
    sleep 0.25
  done
  sleep "$(awk -v seed="$RANDOM" 'BEGIN { srand(seed); printf "%.1f", 0.5 + rand() * 3 }')"
  tmux send-keys -t "$session" C-c
  for _ in $(seq 1 120); do
    [[ -s "$status" ]] && break
    sleep 0.25
  done
  screen=$(tmux capture-pane -p -t "$session")
  history=$(tmux capture-pane -p -S -1000 -t "$session")
  tmux kill-session -t "$session"
  exit_line=$(cat "$status" 2>/dev/null || echo 'EXIT=none')
  headers=$(grep -c '^WORKER' <<<"$screen")
  if [[ "$exit_line" == "EXIT=$expected" ]] && grep -q 'connection closed' <<<"$history" && grep -q 'group stopped' <<<"$history" && [[ "$headers" == 1 ]]; then
    graceful=$((graceful + 1))
    echo "run $i: graceful ($exit_line)"
  else
    echo "run $i: NOT graceful ($exit_line, headers on screen: $headers)"
    echo "$history" | tail -30 | sed 's/^/    | /'
  fi
done
echo "graceful: $graceful of $runs ($command)"
[[ "$graceful" == "$runs" ]]
