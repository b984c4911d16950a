#!/usr/bin/env bash
# The owr peer's rows: a Markdown section on stdout, from the raw files bench/run.sh wrote.
#
#   bench/owr/report.sh RAW_DIR
#
# Medians over the rounds as the main report takes them (s1-owr.rN against s1-wr.rN, the same
# rounds of S1; s2-owr-storm against s2-storm, the same S2). Ratios are WaitingRoom ÷ owr, so
# above 1 is WaitingRoom faster (req/s) or costlier (CPU per request). Targets: issue 18.
set -euo pipefail
raw=${1:?usage: bench/owr/report.sh RAW_DIR}

field() { # field NAME KEY: the KEY of raw/NAME.json, or of every raw/NAME.rN.json, one a line
  local f
  for f in "$raw/$1.json" "$raw/$1".r[0-9]*.json; do
    [ -f "$f" ] && sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" "$f"
  done
  return 0
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; m = int((NR + 1) / 2); if (NR % 2) print v[m]; else print (v[m] + v[m + 1]) / 2 }'; }
med() { field "$1" "$2" | median; }
count() { field "$1" "$2" | wc -l; }
fmt() { [ -n "${1:-}" ] && printf "%.${2:-0}f" "$1" || printf -- '—'; }
ratio() { [ -n "${1:-}" ] && [ -n "${2:-}" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "—" }' || printf -- '—'; }
meets() { # meets VALUE TARGET: ≥ TARGET?
  [ -n "${1:-}" ] && [ "$1" != — ] || { printf 'no figure'; return; }
  awk -v v="$1" -v t="$2" 'BEGIN { printf (v >= t ? "pass" : "miss") }'
}

echo
echo "## owr peer (nginx + Lua + Redis from Debian's packages, bench/owr)"
echo
if [ -f "$raw/owr-source.json" ]; then echo "Source and packages: \`$(cat "$raw/owr-source.json")\`"; echo; fi
echo "| measure | owr | WaitingRoom | WaitingRoom ÷ owr | target | |"
echo "| --- | --- | --- | --- | --- | --- |"
if [ "$(count s1-owr rps)" -gt 0 ]; then
  o=$(med s1-owr rps); w=$(med s1-wr rps); r=$(ratio "$w" "$o")
  echo "| S1 admitted req/s (median of $(count s1-owr rps) rounds) | $(fmt "$o") | $(fmt "$w") | $r | ≥ 3.5 | $(meets "$r" 3.5) |"
  o=$(med s1-owr server_cpu_us); w=$(med s1-wr server_cpu_us)
  echo "| S1 admitted: servers' CPU µs per request | $(fmt "$o" 1) | $(fmt "$w" 1) | $(ratio "$w" "$o") | | |"
  echo "| S1 admitted: p50 / p99 ms | $(fmt "$(med s1-owr p50_ms)" 2) / $(fmt "$(med s1-owr p99_ms)" 2) | $(fmt "$(med s1-wr p50_ms)" 2) / $(fmt "$(med s1-wr p99_ms)" 2) | | | |"
  e=$(field s1-owr non_2xx_3xx | awk '{ s += $1 } END { print s + 0 }'); s=$(field s1-owr socket_errors | awk '{ s += $1 } END { print s + 0 }')
  echo "| S1 owr admitted: non-2xx/3xx, socket errors (all rounds) | $e, $s | | | 0 | $([ "$e" = 0 ] && [ "$s" = 0 ] && echo pass || echo miss) |"
fi
if [ -f "$raw/s2-owr-storm.json" ]; then
  o=$(med s2-owr-storm rps); w=$(med s2-storm rps); r=$(ratio "$w" "$o")
  echo "| S2 arrival storm: decisions/s | $(fmt "$o") | $(fmt "$w") | $r | ≥ 5 | $(meets "$r" 5) |"
  o=$(med s2-owr-storm server_cpu_us); w=$(med s2-storm server_cpu_us)
  echo "| S2 storm: servers' CPU µs per decision | $(fmt "$o" 1) | $(fmt "$w" 1) | $(ratio "$w" "$o") | | |"
  echo "| S2 storm: p50 / p99 ms | $(fmt "$(med s2-owr-storm p50_ms)" 2) / $(fmt "$(med s2-owr-storm p99_ms)" 2) | $(fmt "$(med s2-storm p50_ms)" 2) / $(fmt "$(med s2-storm p99_ms)" 2) | | | |"
  echo "| S2 storm: non-2xx/3xx, socket errors | $(med s2-owr-storm non_2xx_3xx), $(med s2-owr-storm socket_errors) | $(med s2-storm non_2xx_3xx), $(med s2-storm socket_errors) | | 0 | |"
  if [ -f "$raw/s2-owr-watch.json" ]; then
    cap=$(med s2-owr-watch max); n=$(med s2-owr-watch samples)
    wr_used=$(med s2-watch maxUsed); wr_over=$(med s2-watch overruns); wr_n=$(med s2-watch samples)
    fa=$(med s2-owr-final active); fu=$(med s2-owr-final used)
    echo "| S2 storm: visitors in (owr: ZCOUNT of wr:active within WR_ACTIVE_TTL), max seen of $cap | $(med s2-owr-watch maxActive) (over $cap in $(med s2-owr-watch activeOverruns) of $n samples; after: $fa) | | | ≤ $cap | $(awk -v m="$(med s2-owr-watch maxActive)" -v c="$cap" -v f="${fa:-0}" 'BEGIN { print (m <= c && f <= c ? "pass" : "miss") }') |"
    echo "| S2 storm: places handed out (active + released), max seen of $cap | $(med s2-owr-watch maxUsed) (over $cap in $(med s2-owr-watch overruns) of $n samples; after: $fu) | ${wr_used:-—} (over in ${wr_over:-—} of ${wr_n:-—} samples) | | ≤ $cap | $(awk -v m="$(med s2-owr-watch maxUsed)" -v c="$cap" -v f="${fu:-0}" 'BEGIN { print (m <= c && f <= c ? "pass" : "miss") }') |"
  fi
fi
echo
echo "The two ratios are also in the main table (and --strict); the other owr rows are informational. owr as shipped: no keep-alive to the backend, its"
echo "per-request error-level log lines and its access log written to /dev/null; see bench/README.md, \"owr\"."
