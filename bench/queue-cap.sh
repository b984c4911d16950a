#!/usr/bin/env bash
# What WR_MAX_QUEUE does under an arrival storm, on loopback, bounded (about 2 minutes).
#
#   bench/queue-cap.sh [SECONDS]    (default 10)
#
# One redis-server, the bench backend and two WaitingRoom instances on it with WR_MAX_ACTIVE=10 and
# the per-address cap off: "nocap" (no WR_MAX_QUEUE) and "cap" (WR_MAX_QUEUE=1000), each with its own
# key prefix. `wrk -t2 -c64` sends cookieless requests (every one a newcomer) to each in turn. Prints
# per instance: newcomers per second, the queue's length after the storm, and the Redis memory the
# storm added; two rounds (the second in the other order) after a 5 s warm-up of each. Kills what it
# started (by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
build="$PWD/artifacts/bench"
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
free_port() { local p; while :; do p=$(( 10000 + RANDOM % (low - 10000) )); if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi; done; }
wait_http() { for _ in $(seq 300); do curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

for project in src/WaitingRoom bench/Backend; do
  dotnet publish "$project" -c Release -o "$build/$(basename "$project")" --nologo -v quiet -clp:ErrorsOnly >/dev/null
done

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --logfile "$work/redis.log" & pids+=($!)
for _ in $(seq 100); do [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
backend_port=$(free_port)
dotnet "$build/Backend/WaitingRoom.Bench.Backend.dll" "$backend_port" >/dev/null 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$backend_port/"

declare -A url_of
for name in nocap cap; do
  port=$(free_port)
  cap=""; [ "$name" = cap ] && cap=1000
  env ASPNETCORE_URLS="http://127.0.0.1:$port" WR_BACKEND_URL="http://127.0.0.1:$backend_port/" WR_REDIS_HOST=127.0.0.1 \
    WR_REDIS_PORT="$redis_port" WR_REDIS_KEY_PREFIX="$name" WR_SECRET=bench-secret-0123456789abcdef WR_MAX_ACTIVE=10 \
    WR_MAX_NEW_PER_IP_PER_MINUTE=0 WR_QUEUE_TTL=600 WR_MAX_QUEUE="$cap" dotnet "$build/WaitingRoom/WaitingRoom.dll" >/dev/null 2>&1 &
  url_of[$name]="http://127.0.0.1:$port"; pids+=($!)
  wait_http "${url_of[$name]}/_wr/ready"
done

memory() { redis-cli -p "$redis_port" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
storm() { # storm NAME SECONDS: prints newcomers per second
  local line requests
  line=$(wrk -t2 -c64 -d"$2s" -s bench/wrk.lua "${url_of[$1]}/" -- - application/json | sed -n 's/^wrk-json //p')
  requests=$(sed 's/.*"requests":\([0-9]*\).*/\1/' <<<"$line")
  awk -v r="$requests" -v s="$2" 'BEGIN { printf "%.0f", r / s }'
}
# Warm-up (tiered JIT), then the queues start empty again.
storm nocap 5 >/dev/null; storm cap 5 >/dev/null
redis-cli -p "$redis_port" flushall >/dev/null
for round in 1 2; do
  order="nocap cap"; [ "$round" = 2 ] && order="cap nocap"
  for name in $order; do
    before=$(memory)
    rate=$(storm "$name" "$seconds")
    after=$(memory)
    queued=$(redis-cli -p "$redis_port" zcard "$name:{default}:queue")
    awk -v n="$name" -v r="$rate" -v q="$queued" -v m=$(( after - before )) -v k="$round" \
      'BEGIN { printf "round %d %s: %d newcomers/s, queue after the storm %d, Redis memory added %.1f MiB\n", k, n, r, q, m / 1048576 }'
  done
done
