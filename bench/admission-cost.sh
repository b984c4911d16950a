#!/usr/bin/env bash
# CPU per forwarded request with WR_ADMISSION_HEADER=on vs off, on loopback, bounded (about 3 minutes).
#
#   bench/admission-cost.sh [ROUNDS]    (default 5)
#
# One redis-server, the bench backend, and two WaitingRoom instances on the same store and secret
# (so the same 256 admitted visitors are active on both): "off" and "on" (WR_ADMISSION_HEADER=on,
# generated key). Each round measures both (alternating which goes first) with
# `wrk -t1 -c32 -d10s` rotating the 256 cookies, after one 15 s warm-up of each. The figure is the
# instance's own CPU time (utime+stime from /proc/PID/stat) over the requests it forwarded:
# microseconds of CPU per request. Prints one line per run, the medians, and the median of each
# round's on-minus-off difference (the two runs of a round share the machine's moment). Kills what it started (by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
build="$PWD/artifacts/bench"
work=$(mktemp -d)
secret="bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
free_port() { local p; while :; do p=$(( 10000 + RANDOM % (low - 10000) )); if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi; done; }
wait_http() { for _ in $(seq 300); do curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

for project in src/WaitingRoom bench/Backend bench/Tool; do
  dotnet publish "$project" -c Release -o "$build/$(basename "$project")" --nologo -v quiet -clp:ErrorsOnly >/dev/null
done

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --logfile "$work/redis.log" & pids+=($!)
for _ in $(seq 100); do [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
backend_port=$(free_port)
dotnet "$build/Backend/WaitingRoom.Bench.Backend.dll" "$backend_port" >/dev/null 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$backend_port/"
dotnet "$build/Tool/WaitingRoom.Bench.dll" fill --redis "127.0.0.1:$redis_port" --secret "$secret" --active 256 --queued 0 \
  --tokens 256 --sample active --out "$work/cookies.txt" >/dev/null

declare -A pid_of url_of
for name in off on; do
  port=$(free_port)
  env ASPNETCORE_URLS="http://127.0.0.1:$port" WR_BACKEND_URL="http://127.0.0.1:$backend_port/" WR_REDIS_HOST=127.0.0.1 \
    WR_REDIS_PORT="$redis_port" WR_SECRET="$secret" WR_MAX_ACTIVE=1000000 WR_ACTIVE_TTL=3600 \
    WR_ADMISSION_HEADER="$name" dotnet "$build/WaitingRoom/WaitingRoom.dll" >/dev/null 2>&1 &
  pid_of[$name]=$!; url_of[$name]="http://127.0.0.1:$port"; pids+=($!)
  wait_http "${url_of[$name]}/_wr/ready"
done
echo "jwks: off $(curl -s -o /dev/null -w '%{http_code}' "${url_of[off]}/_wr/.well-known/jwks.json"), on $(curl -s -o /dev/null -w '%{http_code}' "${url_of[on]}/_wr/.well-known/jwks.json")"

ticks() { local s; read -r -a s <"/proc/$1/stat"; echo $(( s[13] + s[14] )); }
hz=$(getconf CLK_TCK)
run() { # run NAME SECONDS: prints "requests cpu_us_per_request"
  local before after line
  before=$(ticks "${pid_of[$1]}")
  line=$(wrk -t1 -c32 -d"$2s" -s bench/wrk.lua "${url_of[$1]}/" -- "$work/cookies.txt" | sed -n 's/^wrk-json //p')
  after=$(ticks "${pid_of[$1]}")
  requests=$(sed 's/.*"requests":\([0-9]*\).*/\1/' <<<"$line")
  non2xx=$(sed 's/.*"non_2xx_3xx":\([0-9]*\).*/\1/' <<<"$line")
  [ "$non2xx" = 0 ] || { echo "$1: $non2xx responses were not 2xx/3xx" >&2; exit 1; }
  awk -v r="$requests" -v t=$(( after - before )) -v hz="$hz" 'BEGIN { printf "%d %.1f\n", r, t * 1e6 / hz / r }'
}
run off 15 >/dev/null; run on 15 >/dev/null # tiered JIT settles over several seconds (bench/README.md)
for round in $(seq "$rounds"); do
  order="off on"; [ $(( round % 2 )) -eq 0 ] && order="on off"
  for name in $order; do
    read -r requests cost < <(run "$name" 10)
    echo "round $round $name: $requests requests, $cost us CPU per request"
    echo "$cost" >>"$work/$name"
    eval "cost_$name=$cost"
  done
  # The two runs of one round met the same moment of the machine: their difference is the round's figure.
  awk -v on="$cost_on" -v off="$cost_off" 'BEGIN { printf "%.1f\n", on - off }' >>"$work/diff"
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
off=$(median "$work/off"); on=$(median "$work/on")
diff=$(median "$work/diff")
range=$(sort -n "$work/diff" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%+.1f to %+.1f", lo, hi }')
awk -v off="$off" -v on="$on" -v d="$diff" -v r="$range" 'BEGIN { printf "median CPU per forwarded request: off %.1f us, on %.1f us; median of the rounds on-off differences %+.1f us (rounds: %s us)\n", off, on, d, r }'
