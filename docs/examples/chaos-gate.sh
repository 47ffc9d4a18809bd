#!/usr/bin/env bash
# Resilience gate for any CI system: build the lab images, run every scenario,
# fail when a target is missed, an invariant does not hold, or recovery regressed
# against a baseline.
# Reports (result.json, postmortem.md, junit.xml per run) stay in $REPORTS.
#
#   REPORTS=reports BASELINE=baseline-reports ./chaos-gate.sh
#
# Exit: 0 all targets met, every invariant held and no regression; 1 a target
# missed, an invariant failed or not measured, or a regression;
# 2 invalid scenario or input; 3 the lab or chaos itself failed.
set -uo pipefail

CHAOS=${CHAOS:-chaos}
SCENARIOS=${SCENARIOS:-scenarios/*.yaml}
REPORTS=${REPORTS:-reports}
TRIALS=${TRIALS:-5}                 # 5 per side lets a comparison reach p < 0.05
BUDGET=${BUDGET:-15m}               # per scenario: --max-duration
MAX_REGRESSION=${MAX_REGRESSION:-10%}
BASELINE=${BASELINE:-}              # a $REPORTS directory kept from the main branch

status=0
worst() { [ "$1" -gt "$status" ] && status=$1; return 0; }
trap '$CHAOS lab down --stale >/dev/null 2>&1 || true' EXIT

mkdir -p "$REPORTS/junit"
$CHAOS validate $SCENARIOS || exit $?
$CHAOS lab build --offline || exit 3

for scenario in $SCENARIOS; do
  name=$(basename "$scenario" .yaml)
  echo "::: $name"
  rc=0
  $CHAOS run "$scenario" --trials "$TRIALS" --label "$name" --max-duration "$BUDGET" \
      --out "$REPORTS/$name" --junit "$REPORTS/junit/$name.xml" || rc=$?
  worst "$rc"
  if [ -n "$BASELINE" ] && [ "$rc" -le 1 ]; then
    if [ -f "$BASELINE/$name/result.json" ]; then
      rc=0   # exit 1 on a regression, or on a comparison that could not measure
      $CHAOS compare "$BASELINE/$name" "$REPORTS/$name" --max-regression "$MAX_REGRESSION" \
          --format markdown >> "$REPORTS/compare.md" || rc=$?
      worst "$rc"
    else     # a scenario new in this change: its targets gate it; say it was not compared
      echo "**$name: not compared**: no baseline run in $BASELINE/$name" \
          | tee -a "$REPORTS/compare.md"
    fi
  fi
done

$CHAOS history --reports "$REPORTS"
exit "$status"
