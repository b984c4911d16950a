#!/usr/bin/env bash
# WaitingRoom load benchmarks: one command, bounded in time, everything on 127.0.0.1.
#
#   bench/run.sh [--quick] [--only S1,S5] [--pinned] [--out DIR] [--chart|--no-chart] [--strict]
#
#   --quick     short runs (4 s per load test) and crowds of 10,000 and 100,000 only: < 4 minutes
#   --only L    only the scenarios of the comma-separated list L (S1…S5, owr, idle); the chart is left alone.
#               idle (only when listed): the CPU an idle WaitingRoom and the minimal YARP app use a minute
#               owr: the owr peer (bench/owr) in S1 (admitted) and S2 (storm), whichever of them run
#               (alone: S1 and S2 with it). Left out of the list, owr is not measured; in a run
#               without --only it is measured when its source is found (OWR_SRC, bench/owr/setup.sh)
#   --pinned    the servers (proxies, backend, Redis, HAProxy) on core 0, wrk on core 1 (-c64): each
#               target then has one core, as a proxy's CPU per request is compared; S1 in 15 rounds
#               of 4 s, its ratios the median of each round's own; the chart is left alone
#   --out DIR   where results.json, results.md, benchmarks.svg, raw/ and logs/ go (default bench/results)
#   --chart     also copy the chart to docs/benchmarks.svg in quick mode (a full run always does)
#   --no-chart  never touch docs/benchmarks.svg
#   --strict    exit 3 when a target is missed (by default a completed run exits 0 and the table says)
#
# It installs wrk and redis-server from Debian's packages when missing, publishes the product and
# the bench apps in Release, starts its own redis-server, backend, bare YARP and WaitingRoom on free
# ports, runs the four scenarios (see bench/README.md) and kills everything it started on exit.
# The owr peer: bench/owr/setup.sh installs Debian's nginx + Lua module and takes owr from OWR_SRC.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started_at=$(date +%s)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

mode=full
only=,S1,S2,S3,S4,S5,owr,
only_given=no
out=bench/results
chart=auto
strict=0
pinned=no
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --only) only=",${2:?--only needs a list such as S1,S5},"; only_given=yes; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --chart) chart=yes ;;
    --no-chart) chart=no ;;
    --strict) strict=1 ;;
    --pinned) pinned=yes ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

runs() { [[ "$only" == *",$1,"* ]]; } # runs S<k>: is scenario k part of this run?
if runs owr && ! runs S1 && ! runs S2; then only="$only"S1,S2,; fi # the owr peer alone: both its scenarios
runs S1 && runs S2 && runs S3 && runs S4 && runs S5 && [ "$pinned" = no ] || { [ "$chart" = yes ] || chart=no; }

# Settings of each mode. Every load test: wrk -t1 -c32 (one wrk thread: wrk, the proxies, the
# backend and Redis share the machine's cores), after a warm-up run of the same target. The targets
# of a scenario are measured in rounds, one after the other in each round, so a busy moment on the
# machine hits all of them alike (each round starts with the next target, so none is always first);
# the report takes the median over the rounds.
threads=1
connections=32
on_servers=() # the command prefix of every server this script starts, and of wrk
on_load=()
if [ "$pinned" = yes ]; then
  [ "$(nproc)" -ge 2 ] || { echo "--pinned needs two cores" >&2; exit 64; }
  on_servers=(taskset -c 0); on_load=(taskset -c 1); connections=64
fi
crowd_cookies=1000
s1_visitors=256
s4_places=10000
# S5: a room of --sizes waiters each, 1,000 far-back pollers of each, 10,000 places freed at once;
# then an event of 10 rooms on a 3-master cluster, filled in stages of s5_stage_fill per room.
s5_places=10000
s5_pollers=1000
s5_rooms=10
if [ "$mode" = quick ]; then
  duration=4; warmup=5; rounds=1; crowd_sizes="10000 100000"
  s5_sizes="10000 100000"; s5_stages=2; s5_stage_fill=100000; s5_idle=20
else
  duration=10; warmup=15; rounds=5; crowd_sizes="10000 100000 1000000"
  s5_sizes="10000 1000000 10000000"; s5_stages=10; s5_stage_fill=100000; s5_idle=20
fi
# S1 pinned: ratios of a few per cent are the point and this host's speed drifts by tens of per cent
# within a minute, so many short rounds, each ratio taken within its round (RawResults.PairedRatio).
s1_rounds=$rounds s1_duration=$duration
if [ "$pinned" = yes ] && [ "$mode" = full ]; then s1_rounds=15 s1_duration=4; fi
release_interval=2 # WR_RELEASE_INTERVAL is left at its default for S4; this is that default.
secret="bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
need() { # need COMMAND PACKAGE: install PACKAGE from Debian's packages when COMMAND is missing
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "$1 not found: installing $2 from Debian's packages" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  if [ "$2" = redis-server ]; then as_root systemctl stop redis-server >/dev/null 2>&1 || true; fi
}
need wrk wrk
need redis-server redis-server
need redis-cli redis-tools
need curl curl
need haproxy haproxy
need taskset util-linux
as_root systemctl stop haproxy >/dev/null 2>&1 || true # Debian's package starts its own on install

mkdir -p "$out"
out=$(cd "$out" && pwd)
raw="$out/raw"
logs="$out/logs"
work="$out/work"
rm -rf "$raw" "$logs" "$work"
mkdir -p "$raw" "$logs" "$work"
build="$repo/artifacts/bench"
counters_version=10.0.750501 # dotnet-counters, for the bytes allocated per request (S1)

ps -eo pid,pcpu,etime,args --sort=-pcpu 2>/dev/null | cut -c1-160 | head -n 15 >"$logs/processes-at-start.txt" || true
say() { printf '[%4ds] %s\n' "$(( $(date +%s) - started_at ))" "$*" >&2; }

# --- processes: every PID we start is remembered and killed (by PID) on exit ---------------
pids=()
counted=() # children of a server we started (owr's nginx workers): their CPU is counted with the servers', never killed by us
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
forget_pid() { # a process that ended: its PID may be reused by another one, never ours to kill or count
  local keep=() pid
  for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || keep+=("$pid"); done
  pids=("${keep[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ports come from below the kernel's ephemeral range (ip_local_port_range), so an outgoing
# connection (wrk, the proxies' connections to the backend and Redis) cannot hold the port a server
# is about to bind: a listener check alone does not see those.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() { # a port nobody listens on (checked with bash's /dev/tcp)
  local port span=$(( ephemeral_low - 10000 ))
  while :; do
    port=$(( 10000 + RANDOM % span ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

wait_http() { # wait_http URL SECONDS: until the URL answers 2xx
  local deadline=$(( $(date +%s) + $2 ))
  until curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "no answer from $1 after $2 s" >&2; return 1; fi
    sleep 0.1
  done
}

# --- build ---------------------------------------------------------------------------------------
say "publishing the product and the bench apps (Release) to $build"
publish() {
  dotnet publish "$1" -c Release -o "$build/$(basename "$1")" --nologo -v quiet -clp:ErrorsOnly >"$logs/publish-$(basename "$1").log" 2>&1 \
    || { cat "$logs/publish-$(basename "$1").log" >&2; return 1; }
}
# The product first; then the three bench apps side by side (none of them builds another's files:
# the tool's reference to the product is up to date by then).
publish src/WaitingRoom
publishing=()
for project in bench/Backend bench/BareYarp bench/Tool; do
  publish "$project" &
  publishing+=($!)
  pids+=($!)
done
for pid in "${publishing[@]}"; do wait "$pid" || exit 1; forget_pid "$pid"; done
tool() { dotnet "$build/Tool/WaitingRoom.Bench.dll" "$@"; }

# --- Redis, backend, bare YARP ----------------------------------------------------------------
start_redis() { # start_redis NAME [redis-server option ...]: sets started_port (not in $(...): the PID must stay ours)
  local name=$1 port; shift
  port=$(free_port)
  "${on_servers[@]}" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --logfile "$logs/redis-$name.log" "$@" &
  pids+=($!)
  for _ in $(seq 100); do [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
  [ "$(redis-cli -h 127.0.0.1 -p "$port" ping)" = PONG ]
  started_port=$port started_pid=${pids[-1]}
}
start_redis main
redis_port=$started_port redis_pid=$started_pid
rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
redis="127.0.0.1:$redis_port"
used_memory() { rcli info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }

backend_port=$(free_port)
"${on_servers[@]}" dotnet "$build/Backend/WaitingRoom.Bench.Backend.dll" "$backend_port" >"$logs/backend.log" 2>&1 &
pids+=($!)
backend="http://127.0.0.1:$backend_port"
yarp_port=$(free_port)
"${on_servers[@]}" dotnet "$build/BareYarp/WaitingRoom.Bench.BareYarp.dll" "$yarp_port" "$backend/" >"$logs/bareyarp.log" 2>&1 &
pids+=($!)
bare_pid=$!
bare="http://127.0.0.1:$yarp_port"
# HAProxy from Debian's packages, a peer: what a proxy written for this costs on the same backend.
haproxy_port=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend bench
  bind 127.0.0.1:$haproxy_port
  default_backend origin
backend origin
  http-reuse always
  server backend 127.0.0.1:$backend_port
CFG
"${on_servers[@]}" haproxy -db -f "$work/haproxy.cfg" >"$logs/haproxy.log" 2>&1 &
pids+=($!)
haproxy="http://127.0.0.1:$haproxy_port"
wait_http "$backend/" 30
wait_http "$bare/" 30
wait_http "$haproxy/" 30

# owr, WaitingRoom's elder (nginx + Lua + Redis), a peer in S1 (admitted) and S2 (storm): Debian's
# nginx and Lua module running owr's own configuration and Lua (bench/owr/setup.sh, conf.sh). It has
# its own redis-server: owr's keys (wr:active, wr:queue, wr:released) have no prefix. In the pinned
# layout one worker (nginx's "auto" counts the machine's cores, not the ones it may use), else auto.
owr=no
if runs owr && { runs S1 || runs S2; }; then
  owr_status=0
  bench/owr/setup.sh "$work/owr" >"$logs/owr-setup.log" 2>&1 || owr_status=$?
  if [ "$owr_status" = 0 ]; then
    owr=yes
    cp "$work/owr/source.json" "$raw/owr-source.json"
    start_redis owr
    owr_redis_port=$started_port
    ocli() { redis-cli -h 127.0.0.1 -p "$owr_redis_port" "$@"; }
    owr_workers=auto
    if [ "$pinned" = yes ]; then owr_workers=1; fi
    say "owr peer ready: $(cat "$raw/owr-source.json")"
  elif [ "$only_given" = yes ]; then
    cat "$logs/owr-setup.log" >&2
    echo "owr was asked for (--only ...owr) but bench/owr/setup.sh failed (exit $owr_status)" >&2
    exit 1
  else
    say "owr peer skipped: $(tail -n 1 "$logs/owr-setup.log")"
  fi
fi
# Servers started by name (rooms, owr instances): stop_named PIDS URLS kills them all by PID, waits
# for each and forgets them (both arguments are names of associative arrays keyed by instance name).
stop_named() {
  local -n named_pid=$1 named_url=$2
  local name
  for name in "${!named_pid[@]}"; do kill "${named_pid[$name]}" 2>/dev/null || true; done
  for name in "${!named_pid[@]}"; do
    wait "${named_pid[$name]}" 2>/dev/null || true
    forget_pid "${named_pid[$name]}"
  done
  named_pid=()
  named_url=()
}
# owr instances, by name, like the rooms: nginx's master is started and killed by PID; its workers,
# which serve, are counted with the servers (counted) and end with their master.
declare -A owr_pid owr_url
start_owr() { # start_owr NAME [VAR=value ...]
  local name=$1 port dir worker; shift
  port=$(free_port)
  dir="$work/owr-$name"
  bench/owr/conf.sh "$work/owr" "$dir" "$port" "$owr_workers" >/dev/null
  ocli flushall >/dev/null # a fresh store: a release lock left behind would stop owr's promotion job for good
  env WR_BACKEND_URL="http://127.0.0.1:$backend_port" WR_REDIS_HOST=127.0.0.1 WR_REDIS_PORT="$owr_redis_port" "$@" \
    "${on_servers[@]}" nginx -p "$dir" -c "$dir/nginx.conf" -e "$logs/owr-$name.log" -g 'daemon off;' >>"$logs/owr-$name.log" 2>&1 &
  owr_pid[$name]=$!
  owr_url[$name]="http://127.0.0.1:$port"
  pids+=("$!")
  wait_http "${owr_url[$name]}/wr_healthcheck" 30
  for worker in $(ps -o pid= --ppid "${owr_pid[$name]}"); do counted+=("$worker"); done
  [ ${#counted[@]} -gt 0 ] || { echo "owr $name: no nginx worker found" >&2; return 1; }
}
stop_owr() { stop_named owr_pid owr_url; counted=(); }

# WaitingRoom instances, by name, each on its own port with its scenario's WR_* settings. Its
# stdout carries one JSON line per request: the first 40 lines (start-up report and a few requests)
# are kept in logs/waitingroom-<name>.log for debugging, the rest goes to /dev/null (a file would
# grow by tens of MB a run).
declare -A room_pid room_url
start_room() { # start_room NAME [VAR=value ...]
  local name=$1 port; shift
  port=$(free_port)
  env ASPNETCORE_URLS="http://127.0.0.1:$port" WR_BACKEND_URL="$backend/" WR_REDIS_HOST=127.0.0.1 WR_REDIS_PORT="$redis_port" \
    WR_SECRET="$secret" "$@" "${on_servers[@]}" dotnet "$build/WaitingRoom/WaitingRoom.dll" \
    > >(head -n 40 >"$logs/waitingroom-$name.log"; cat >/dev/null) 2>&1 &
  room_pid[$name]=$!
  room_url[$name]="http://127.0.0.1:$port"
  pids+=("$!")
  wait_http "${room_url[$name]}/_wr/ready" 30
}
stop_rooms() { stop_named room_pid room_url; }

# CPU bookkeeping, so the report can say how busy the machine was with other work while a load
# run measured: all busy time (/proc/stat) less the time of the processes this script started
# (the servers, by PID, and wrk, from the shell's own children's times).
hz=$(getconf CLK_TCK)
own=0
cores=$(nproc)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
own_ticks() { # sets own and servers: not called in $(...), so that `times` sees this shell's children
  local total=0 pid stat
  for pid in "${pids[@]}" "${counted[@]}"; do
    [ -r "/proc/$pid/stat" ] || continue
    read -r -a stat <"/proc/$pid/stat" || continue
    total=$(( total + stat[13] + stat[14] ))
  done
  servers=$total # the servers alone (proxies, backend, Redis): their CPU per request is the cost measured
  times >"$work/times" # not in a subshell: the children's times are this shell's
  own=$(awk -v hz="$hz" -v own="$total" 'END { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%d\n", own + (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz }' "$work/times")
}

# load NAME URL SECONDS [COOKIES [ACCEPT]]: one wrk run; keeps its wrk-json line, with the share
# of the machine other processes used meanwhile (other_cpu_pct) and the CPU time the servers
# (every process this script started: proxies, backend, Redis; not wrk) spent per request
# (server_cpu_us), as raw/NAME.json. Idle servers of other targets add next to nothing.
load() {
  local name=$1 url=$2 seconds=$3; shift 3
  local busy0 own0 servers0 t0 busy1 own1 servers1 t1 other requests cpu_us
  busy0=$(busy_ticks); own_ticks; own0=$own; servers0=$servers; t0=$(date +%s%N)
  "${on_load[@]}" wrk -t"$threads" -c"$connections" -d"${seconds}s" -s bench/wrk.lua "$url" -- "$@" >"$logs/wrk-$name.txt" 2>&1
  busy1=$(busy_ticks); own_ticks; own1=$own; servers1=$servers; t1=$(date +%s%N)
  other=$(awk -v b=$(( busy1 - busy0 )) -v o=$(( own1 - own0 )) -v ns=$(( t1 - t0 )) -v hz="$hz" -v n="$cores" \
    'BEGIN { x = (b - o) / (ns / 1e9 * hz * n) * 100; if (x < 0) x = 0; printf "%.1f", x }')
  requests=$(sed -n 's/^wrk-json {"requests":\([0-9]*\).*/\1/p' "$logs/wrk-$name.txt")
  cpu_us=$(awk -v t=$(( servers1 - servers0 )) -v hz="$hz" -v r="${requests:-0}" 'BEGIN { if (r > 0) printf "%.1f", t / hz * 1e6 / r; else print 0 }')
  sed -n 's/^wrk-json //p' "$logs/wrk-$name.txt" | sed "s/}\$/,\"other_cpu_pct\":$other,\"server_cpu_us\":$cpu_us}/" >"$raw/$name.json"
  [ -s "$raw/$name.json" ] || { cat "$logs/wrk-$name.txt" >&2; return 1; }
}
summary() { sed -E 's/.*"rps":([0-9.]+).*"p50_ms":([0-9.]+).*"p99_ms":([0-9.]+).*"other_cpu_pct":([0-9.]+).*"server_cpu_us":([0-9.]+).*/\1 req\/s, p50 \2 ms, p99 \3 ms, servers \5 µs CPU per request (other processes \4% CPU)/' "$1"; }
rotate() { # rotate ROUND ITEM...: the items, starting ROUND-1 places further, so no target is always first
  local round=$1; shift
  local items=("$@") i
  for ((i = 0; i < ${#items[@]}; i++)); do printf '%s ' "${items[(i + round - 1) % ${#items[@]}]}"; done
}
warm() { # warm NAME URL [COOKIES [ACCEPT]]: a warm-up run, not kept
  load "warmup-$1" "$2" "$warmup" "${@:3}"
  rm -f "$raw/warmup-$1.json"
}

# --- idle: what an instance costs with no traffic ----------------------------------------------
# Its timers (promotion rounds, Redis heartbeats, the log writer) and the thread pool's spinning
# after each wake-up: CPU ticks of each process over 60 s, after 60 s to settle (the tiered JIT
# still compiles the background loops' methods in the first minute).
if [[ "$only" == *",idle,"* ]]; then
say "idle: WaitingRoom (S1's settings) and the minimal YARP app with no traffic, 60 s after 60 s"
start_room idle WR_MAX_ACTIVE=1000000 WR_MAX_NEW_PER_IP_PER_MINUTE=0
curl -fsS -o /dev/null "${room_url[idle]}/" && curl -fsS -o /dev/null "$bare/"
sleep 60
ticks() { local stat; read -r -a stat <"/proc/$1/stat"; echo $(( stat[13] + stat[14] )); }
room_ticks0=$(ticks "${room_pid[idle]}"); bare_ticks0=$(ticks "$bare_pid"); redis_ticks0=$(ticks "$redis_pid")
sleep 60
room_ticks1=$(ticks "${room_pid[idle]}"); bare_ticks1=$(ticks "$bare_pid"); redis_ticks1=$(ticks "$redis_pid")
awk -v r=$(( room_ticks1 - room_ticks0 )) -v b=$(( bare_ticks1 - bare_ticks0 )) -v d=$(( redis_ticks1 - redis_ticks0 )) -v hz="$hz" \
  'BEGIN { printf "{\"room_cpu_s_per_min\":%.2f,\"bare_cpu_s_per_min\":%.2f,\"redis_cpu_s_per_min\":%.2f}\n", r / hz, b / hz, d / hz }' >"$raw/idle.json"
say "  idle: $(cat "$raw/idle.json")"
stop_rooms
fi

# --- S1: the admitted hot path ------------------------------------------------------------------
if runs S1; then
say "S1 admitted hot path: backend direct, bare YARP, the same binary with the room off, WaitingRoom with $s1_visitors active visitors$([ "$owr" = yes ] && echo ", owr with as many") ($s1_rounds round(s) of ${s1_duration} s)"
rcli flushall >/dev/null
s1_settings=(WR_MAX_ACTIVE=1000000 WR_ACTIVE_TTL=3600 WR_QUEUE_TTL=3600 WR_MAX_NEW_PER_IP_PER_MINUTE=0)
start_room s1 "${s1_settings[@]}"
# The same, with the request log turned off (one Serilog override), to show what the log costs.
start_room s1-nolog "${s1_settings[@]}" 'Serilog__MinimumLevel__Override__WaitingRoom.Operations.RequestLogMiddleware=Warning'
# The same binary with the room off (every path bypassed: no cookie, no store): the proxy, its
# request log, metrics and forwarding alone, so the WaitingRoom's own cost shows by itself.
start_room s1-off "${s1_settings[@]}" WR_BYPASS_PATHS=/
tool fill --redis "$redis" --secret "$secret" --active "$s1_visitors" --queued 0 \
  --tokens "$s1_visitors" --sample active --out "$work/s1-cookies.txt" >"$raw/s1-fill.json"
declare -A s1_url=([backend]="$backend/" [haproxy]="$haproxy/" [bare]="$bare/" [wr]="${room_url[s1]}/" [wr-nolog]="${room_url[s1-nolog]}/" [wr-off]="${room_url[s1-off]}/")
declare -A s1_cookies=()
s1_targets="backend haproxy bare wr-off wr wr-nolog"
if [ "$owr" = yes ]; then
  # owr with the room's capacity and TTL, its own 256 visitors already active (owr's layout: a member
  # of wr:active scored with the time it was last seen); wrk sends them as wr_token cookies like the room's.
  start_owr s1 WR_MAX_ACTIVE=1000000 WR_ACTIVE_TTL=3600
  for _ in $(seq "$s1_visitors"); do cat /proc/sys/kernel/random/uuid; done >"$work/s1-owr-cookies.txt"
  owr_now=$(ocli time | head -n 1)
  awk -v t="$owr_now" '{ printf "ZADD wr:active %s %s\n", t, $1 }' "$work/s1-owr-cookies.txt" | ocli >/dev/null
  [ "$(ocli zcard wr:active)" = "$s1_visitors" ] || { echo "owr: $s1_visitors visitors not admitted" >&2; exit 1; }
  curl -fsS -D "$work/s1-owr-check.headers" -b "wr_token=$(head -n 1 "$work/s1-owr-cookies.txt")" "${owr_url[s1]}/" >"$work/s1-owr-check.body"
  if ! grep -q '^ok' "$work/s1-owr-check.body" || grep -qi '^set-cookie' "$work/s1-owr-check.headers"; then
    echo "owr: an admitted visitor was not proxied as one (see $work/s1-owr-check.*)" >&2; exit 1
  fi
  s1_url[owr]="${owr_url[s1]}/"
  s1_cookies[owr]="$work/s1-owr-cookies.txt"
  s1_targets="$s1_targets owr"
fi
for target in $s1_targets; do warm "s1-$target" "${s1_url[$target]}" "${s1_cookies[$target]:-$work/s1-cookies.txt}"; done
for round in $(seq "$s1_rounds"); do
  for target in $(rotate "$round" $s1_targets); do
    load "s1-$target.r$round" "${s1_url[$target]}" "$s1_duration" "${s1_cookies[$target]:-$work/s1-cookies.txt}"
    say "  round $round, $target: $(summary "$raw/s1-$target.r$round.json")"
  done
done
# Bytes the .NET targets allocate per request: one more load of each with dotnet-counters attached
# (its GC heap's total allocated, second by second), apart from the rounds so the tool's own cost
# stays out of their CPU figures. The counters' seconds before and after the load count as well
# (an idle instance allocates a few KB a second: under 2 B a request here).
counters="$build/tools/dotnet-counters"
[ -x "$counters" ] || dotnet tool install dotnet-counters --version "$counters_version" --tool-path "$build/tools" >"$logs/dotnet-counters-install.txt" 2>&1 || true
if [ -x "$counters" ]; then
  declare -A s1_pid=([bare]="$bare_pid" [wr-off]="${room_pid[s1-off]}" [wr]="${room_pid[s1]}")
  alloc_json=""
  for target in bare wr-off wr; do
    "$counters" collect -p "${s1_pid[$target]}" --counters System.Runtime --refresh-interval 1 \
      --duration "00:00:$(printf '%02d' $(( s1_duration + 4 )))" --format csv -o "$work/alloc-$target.csv" >"$logs/alloc-$target.txt" 2>&1 &
    collector=$!
    sleep 2
    load "alloc-$target" "${s1_url[$target]}" "$s1_duration" "$work/s1-cookies.txt"
    wait "$collector" || true
    bytes=$(awk -F, '/dotnet.gc.heap.total_allocated/ { s += $NF } END { printf "%.0f", s }' "$work/alloc-$target.csv" 2>/dev/null || echo 0)
    requests=$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' "$raw/alloc-$target.json")
    per=$(awk -v b="${bytes:-0}" -v r="${requests:-0}" 'BEGIN { if (r > 0 && b > 0) printf "%.0f", b / r; else print "null" }')
    alloc_json="$alloc_json${alloc_json:+,}\"$target\":$per"
    rm -f "$raw/alloc-$target.json"
    say "  allocated per request, $target: $per B"
  done
  echo "{${alloc_json//-/_}}" >"$raw/s1-alloc.json"
else
  say "  allocated per request: not measured (dotnet-counters did not install, see $logs/dotnet-counters-install.txt)"
fi
stop_rooms
if [ "$owr" = yes ]; then stop_owr; fi
fi

# --- S2: arrival storm --------------------------------------------------------------------------
if runs S2; then
# Short TTLs make places churn during the storm (actives expire after 1 s, releases nobody claims
# after 1 s, a promotion round every 2 s), so the capacity watch sees promotion racing admission.
say "S2 arrival storm: every request a new visitor, WR_MAX_ACTIVE=100"
start_room s2 WR_MAX_ACTIVE=100 WR_MAX_NEW_PER_IP_PER_MINUTE=0 WR_ACTIVE_TTL=1 WR_ADMISSION_WINDOW=1
load warmup-s2 "${room_url[s2]}/" "$warmup" -
rm -f "$raw/warmup-s2.json"
rcli flushall >/dev/null
tool watch-capacity --redis "$redis" --max 100 --seconds $((duration + 1)) >"$raw/s2-watch.json" &
watch_pid=$!
pids+=("$watch_pid")
sleep 0.5
load s2-storm "${room_url[s2]}/" "$duration" -
wait "$watch_pid" || { echo "watch-capacity failed" >&2; exit 1; }
forget_pid "$watch_pid"
tool watch-capacity --redis "$redis" --max 100 --seconds 0 >"$raw/s2-final.json"
say "  storm: $(summary "$raw/s2-storm.json"); $(grep -o '"non_2xx_3xx":[0-9]*' "$raw/s2-storm.json")"
say "  capacity: $(cat "$raw/s2-watch.json")"
stop_rooms
if [ "$owr" = yes ]; then
  # owr's storm, measured as the room's: its capacity and TTLs, a warm-up, an empty store, then the
  # run with its visitors counted every 50 ms as owr's own admission check counts them (ZCOUNT of
  # wr:active within WR_ACTIVE_TTL of Redis' clock) and the places its promotion job handed out
  # (SCARD of wr:released), one redis-cli in the run's background, and once after it.
  say "S2 owr arrival storm: every request a new visitor, WR_MAX_ACTIVE=100"
  start_owr s2 WR_MAX_ACTIVE=100 WR_ACTIVE_TTL=1 WR_RELEASE_INTERVAL="$release_interval"
  load warmup-s2-owr "${owr_url[s2]}/" "$warmup" -
  rm -f "$raw/warmup-s2-owr.json"
  ocli flushall >/dev/null
  owr_count="local t = tonumber(redis.call('TIME')[1]) local a = redis.call('ZCOUNT', 'wr:active', t - tonumber(ARGV[1]), '+inf') return a .. ' ' .. redis.call('SCARD', 'wr:released')"
  redis-cli -h 127.0.0.1 -p "$owr_redis_port" -r $(( (duration + 1) * 20 )) -i 0.05 eval "$owr_count" 0 1 >"$work/s2-owr-samples.txt" 2>&1 &
  watch_pid=$!
  pids+=("$watch_pid")
  sleep 0.5
  load s2-owr-storm "${owr_url[s2]}/" "$duration" -
  wait "$watch_pid" || { cat "$work/s2-owr-samples.txt" >&2; echo "owr capacity sampling failed" >&2; exit 1; }
  forget_pid "$watch_pid"
  awk -v max=100 '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { n++; a = $1; u = $1 + $2; if (a > ma) ma = a; if (u > mu) mu = u; if (a > max) ao++; if (u > max) uo++; next } { f++ }
    END { printf "{\"max\":%d,\"samples\":%d,\"maxActive\":%d,\"activeOverruns\":%d,\"maxUsed\":%d,\"overruns\":%d,\"failures\":%d}\n", max, n, ma, ao, mu, uo, f }' \
    "$work/s2-owr-samples.txt" >"$raw/s2-owr-watch.json"
  ocli eval "$owr_count" 0 1 | awk '{ printf "{\"active\":%d,\"used\":%d}\n", $1, $1 + $2 }' >"$raw/s2-owr-final.json"
  say "  owr storm: $(summary "$raw/s2-owr-storm.json"); $(grep -o '"non_2xx_3xx":[0-9]*' "$raw/s2-owr-storm.json")"
  say "  owr capacity: $(cat "$raw/s2-owr-watch.json"); after the run $(cat "$raw/s2-owr-final.json")"
  stop_owr
fi
fi

# --- S3: waiting crowd --------------------------------------------------------------------------
if runs S3; then
# One WaitingRoom per crowd size, each with its own key prefix in the same (flushed) Redis, so the
# sizes can be measured in interleaved rounds like S1. Memory: used_memory before and after each
# fill; the difference is that crowd's alone.
say "S3 waiting crowd: /_wr/status polls with $crowd_sizes waiting"
rcli flushall >/dev/null
for n in $crowd_sizes; do
  start_room "s3-$n" WR_REDIS_KEY_PREFIX="c$n" WR_MAX_ACTIVE=1 WR_ACTIVE_TTL=3600 WR_QUEUE_TTL=3600 WR_MAX_NEW_PER_IP_PER_MINUTE=0
  before=$(used_memory)
  tool fill --redis "$redis" --prefix "c$n" --secret "$secret" --active 1 --queued "$n" \
    --tokens "$crowd_cookies" --sample queued --out "$work/s3-$n-cookies.txt" >"$raw/s3-$n-fill.json"
  after=$(used_memory)
  printf '{"n":%s,"before":%s,"after":%s}\n' "$n" "$before" "$after" >"$raw/s3-$n-memory.json"
  say "  filled $n: $(cat "$raw/s3-$n-fill.json"); used_memory $before -> $after"
  curl -fsS -H 'Accept: application/json' -b "wr_token=$(head -n 1 "$work/s3-$n-cookies.txt")" "${room_url[s3-$n]}/_wr/status" >"$raw/s3-$n-check.json"
done
for n in $crowd_sizes; do warm "s3-$n-wrk" "${room_url[s3-$n]}/_wr/status" "$work/s3-$n-cookies.txt" application/json; done
for round in $(seq "$rounds"); do
  for n in $(rotate "$round" $crowd_sizes); do
    load "s3-$n-wrk.r$round" "${room_url[s3-$n]}/_wr/status" "$duration" "$work/s3-$n-cookies.txt" application/json
    say "  round $round, $n waiting: $(summary "$raw/s3-$n-wrk.r$round.json")"
  done
done
stop_rooms
fi

# --- S4: promotion ------------------------------------------------------------------------------
if runs S4; then
say "S4 promotion: $s4_places active + $s4_places queued, then every place freed at once"
rcli flushall >/dev/null
start_room s4 WR_MAX_ACTIVE="$s4_places" WR_ACTIVE_TTL=3600 WR_QUEUE_TTL=3600 WR_MAX_NEW_PER_IP_PER_MINUTE=0
tool fill --redis "$redis" --secret "$secret" --active "$s4_places" --queued "$s4_places" >"$raw/s4-fill.json"
tool wait-released --redis "$redis" --count "$s4_places" --free --timeout 30 >"$raw/s4-promotion.json" || true
say "  $(cat "$raw/s4-promotion.json")"
stop_rooms
fi

# --- S5: ten million waiters ------------------------------------------------------------------
# A room per size, each on its own redis-server (so INFO commandstats and INFO cpu are that room's
# alone), WR_MAX_ACTIVE=10,000 with every place taken and TTLs of an hour, so nothing moves until the
# places are freed at the end. Its 1,000 pollers are waiters spread over the line from place 2,001 on
# (past the near zone of 1,000 a room has while nothing is promoted), each primed with one poll that
# gives it the place cookie, then polling with every cookie it was given. Per 1,000 polls: the
# commands Redis ran (scripts' own included; the bench's INFO left out) and Redis' CPU time. The
# crowd is written by a Lua bulk insert in the product's layout, with the near zone and the pollers
# admitted through the store in line (bench/Tool/FillCommand.cs: a client's admission costs more
# than Redis' and would take half an hour for ten million here).
if runs S5; then
say "S5 ten million waiters: far-back polls with $s5_sizes waiting, promotion of $s5_places, $s5_rooms rooms on a 3-master cluster"
redis_counters() { # redis_counters PORT: "<commands> <evalsha> <cpu µs>" of that server so far
  redis-cli -h 127.0.0.1 -p "$1" info commandstats | tr -d '\r' \
    | awk -F'[:=,]' '/^cmdstat_/ && $1 != "cmdstat_info" { c += $3 } $1 == "cmdstat_evalsha" { e = $3 } END { printf "%d %d ", c, e }'
  redis-cli -h 127.0.0.1 -p "$1" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ { t += $2 } END { printf "%.0f\n", t * 1e6 }'
}
# counted_load NAME URL PORT COOKIES: load() with the Redis counters of PORT around it, as raw/NAME-redis.json
counted_load() {
  local name=$1 url=$2 port=$3 cookies=$4 c0 c1 polls by0 by
  read -r -a c0 <<<"$(redis_counters "$port")"
  by0=$(command_calls "$port")
  load "$name" "$url" "$duration" "$cookies" application/json
  read -r -a c1 <<<"$(redis_counters "$port")"
  by=$(join -a 2 -e 0 -o 0,1.2,2.2 <(echo "$by0") <(command_calls "$port") \
    | awk '$3 - $2 > 0 { printf "%s\"%s\":%d", n++ ? "," : "", $1, $3 - $2 }')
  polls=$(sed -E 's/.*"requests":([0-9]+).*/\1/' "$raw/$name.json")
  printf '{"polls":%s,"commands":%s,"evalsha":%s,"cpu_us":%s,"byCommand":{%s}}\n' "$polls" $(( c1[0] - c0[0] )) $(( c1[1] - c0[1] )) $(( c1[2] - c0[2] )) "$by" \
    >"$raw/${name%%.r*}-redis${name#"${name%%.r*}"}.json"
}
# command_calls PORT: "<command> <calls>" lines of that server so far, sorted for join
command_calls() {
  redis-cli -h 127.0.0.1 -p "$1" info commandstats | tr -d '\r' \
    | awk -F'[:=,]' '/^cmdstat_/ && $1 != "cmdstat_info" { sub("cmdstat_", "", $1); print $1, $3 }' | sort
}
memory_of() { redis-cli -h 127.0.0.1 -p "$1" info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }
# polls_answered URL: "<by the instance> <by the store>" so far, from wr_polls_total
polls_answered() {
  curl -fsS "$1/_wr/metrics" | sed -n 's/^wr_polls_total{.*answer="\([a-z]*\)".*} \([0-9.e+]*\)$/\1 \2/p' \
    | awk '{ a[$1] += $2 } END { printf "%d %d\n", a["instance"], a["store"] }'
}

declare -A s5_port
s5_settings=(WR_MAX_ACTIVE="$s5_places" WR_ACTIVE_TTL=3600 WR_QUEUE_TTL=3600 WR_MAX_NEW_PER_IP_PER_MINUTE=0)
for n in $s5_sizes; do
  start_redis "s5-$n"
  s5_port[$n]=$started_port
  start_room "s5-$n" "${s5_settings[@]}" WR_REDIS_PORT="$started_port"
  tool fill --redis "127.0.0.1:$started_port" --secret "$secret" --active "$s5_places" --queued 0 >"$raw/s5-$n-fill-active.json"
  before=$(memory_of "$started_port")
  tool fill --redis "127.0.0.1:$started_port" --secret "$secret" --max "$s5_places" --active 0 --queued "$n" --bulk \
    --tokens "$s5_pollers" --sample queued --from 2001 --out "$work/s5-$n-tokens.txt" >"$raw/s5-$n-fill.json"
  after=$(memory_of "$started_port")
  printf '{"n":%s,"before":%s,"after":%s}\n' "$n" "$before" "$after" >"$raw/s5-$n-memory.json"
  tool prime --url "${room_url[s5-$n]}" --in "$work/s5-$n-tokens.txt" --out "$work/s5-$n-pollers.txt" >"$raw/s5-$n-prime.json"
  say "  filled $n: $(cat "$raw/s5-$n-fill.json"); used_memory $before -> $after; primed $(cat "$raw/s5-$n-prime.json")"
done
for n in $s5_sizes; do warm "s5-$n-far" "${room_url[s5-$n]}/_wr/status" "$work/s5-$n-pollers.txt" application/json; done
for round in $(seq "$rounds"); do
  for n in $(rotate "$round" $s5_sizes); do
    counted_load "s5-$n-far.r$round" "${room_url[s5-$n]}/_wr/status" "${s5_port[$n]}" "$work/s5-$n-pollers.txt"
    say "  round $round, $n waiting: $(summary "$raw/s5-$n-far.r$round.json"); Redis $(cat "$raw/s5-$n-far-redis.r$round.json")"
  done
done
# The same waiters without their place cookie, as every poll was before: each one a script in Redis.
for n in $s5_sizes; do
  counted_load "s5-$n-store" "${room_url[s5-$n]}/_wr/status" "${s5_port[$n]}" "$work/s5-$n-tokens.txt"
  say "  without the place cookie, $n waiting: $(summary "$raw/s5-$n-store.json"); Redis $(cat "$raw/s5-$n-store-redis.json")"
done
for n in $s5_sizes; do
  read -r a_instance a_store <<<"$(polls_answered "${room_url[s5-$n]}")"
  printf '{"n":%s,"instance":%s,"store":%s}\n' "$n" "$a_instance" "$a_store" >"$raw/s5-$n-answers.json"
  tool wait-released --redis "127.0.0.1:${s5_port[$n]}" --count "$s5_places" --free --timeout 30 >"$raw/s5-$n-promotion.json" || true
  say "  $n waiting: polls answered $(cat "$raw/s5-$n-answers.json"); promotion $(cat "$raw/s5-$n-promotion.json")"
done
stop_rooms
for n in $s5_sizes; do redis-cli -h 127.0.0.1 -p "${s5_port[$n]}" shutdown nosave >/dev/null 2>&1 || true; done

# The event: 10 rooms on a 3-master Redis Cluster behind one proxy, each with 1,000 places that
# turn over by themselves (actives leave after 10 s, releases nobody claims lapse after 10 s: about
# 100 promotions a second a room), the queue TTL as shipped (300 s). The rooms fill in stages; after
# each stage 20 of its newcomers a room join the pollers, so the pollers stay an even sample of the
# whole queue, near the head and far back. Per stage each master's commands and CPU are counted twice:
# idle (what the instance does by itself) and while the pollers poll. Both should follow the
# promotions, not the queue.
# masters_around COMMAND…: runs COMMAND and sets $masters to each cluster master's commands/s
# and CPU % over it (and $masters_seconds to its length)
masters_around() {
  local t0 t1 k c0 c1 counters=()
  for port in "${cluster_ports[@]}"; do counters+=("$(redis_counters "$port")"); done
  t0=$(date +%s%N); "$@"; t1=$(date +%s%N)
  masters=""
  for k in "${!cluster_ports[@]}"; do
    read -r -a c0 <<<"${counters[$k]}"
    read -r -a c1 <<<"$(redis_counters "${cluster_ports[$k]}")"
    masters+=$(printf '%s{"port":%s,"commandsPerSecond":%.0f,"cpuPct":%.1f}' "${masters:+,}" "${cluster_ports[$k]}" \
      "$(awk -v c=$(( c1[0] - c0[0] )) -v ns=$(( t1 - t0 )) 'BEGIN { print c / (ns / 1e9) }')" \
      "$(awk -v u=$(( c1[2] - c0[2] )) -v ns=$(( t1 - t0 )) 'BEGIN { print u / (ns / 1e3) * 100 }')")
  done
  masters_seconds=$(awk -v ns=$(( t1 - t0 )) 'BEGIN { printf "%.2f", ns / 1e9 }')
}
cluster_ports=()
for _ in 1 2 3; do
  port=$(free_port)
  while (exec 3<>"/dev/tcp/127.0.0.1/$(( port + 10000 ))") 2>/dev/null; do port=$(free_port); done # its bus port too
  mkdir -p "$work/cluster-$port"
  start_redis "cluster-$port" --cluster-enabled yes --cluster-config-file "$work/cluster-$port/nodes.conf" --dir "$work/cluster-$port"
  cluster_ports+=("$started_port")
done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${cluster_ports[@]}") --cluster-replicas 0 --cluster-yes >"$logs/cluster-create.log" 2>&1
for port in "${cluster_ports[@]}"; do
  for _ in $(seq 200); do redis-cli -h 127.0.0.1 -p "$port" cluster info | grep -q 'cluster_state:ok' && break; sleep 0.1; done
done
seeds=$(printf '127.0.0.1:%s,' "${cluster_ports[@]}"); seeds=${seeds%,}
{
  echo '{ "rooms": ['
  for i in $(seq 0 $(( s5_rooms - 1 ))); do
    printf '  { "name": "r%d", "path": "/r%d", "maxActive": 1000, "activeTtl": 10, "admissionWindow": 10 }%s\n' "$i" "$i" "$([ "$i" -lt $(( s5_rooms - 1 )) ] && echo ,)"
  done
  echo '] }'
} >"$work/s5-rooms.json"
start_room s5-event WR_REDIS_HOST="$seeds" WR_ROOMS_FILE="$work/s5-rooms.json" WR_MAX_NEW_PER_IP_PER_MINUTE=0
: >"$work/s5-event-pollers.txt"
for stage in $(seq "$s5_stages"); do
  for i in $(seq 0 $(( s5_rooms - 1 ))); do
    tool fill --redis "$seeds" --room "r$i" --secret "$secret" --ttl 300 --max 1000 --active "$([ "$stage" = 1 ] && echo 1000 || echo 0)" \
      --queued "$s5_stage_fill" --add --bulk --tokens 20 --sample queued --from "$([ "$stage" = 1 ] && echo 1001 || echo 1)" \
      --out "$work/s5-event-r$i-s$stage.txt" >"$raw/s5-event-fill-r$i-s$stage.json"
  done
  for i in $(seq 0 $(( s5_rooms - 1 ))); do
    tool prime --url "${room_url[s5-event]}" --room "r$i" --in "$work/s5-event-r$i-s$stage.txt" --out "$work/s5-event-pollers.txt" --append >/dev/null
  done
  queued=0
  for i in $(seq 0 $(( s5_rooms - 1 ))); do queued=$(( queued + $(redis-cli -c -h 127.0.0.1 -p "${cluster_ports[0]}" zcard "wr:{r$i}:queue") )); done
  # Settle first: the rooms' promotion rate (and so each room's near zone) is measured from the
  # promotions themselves, so the first stage waits for two turnovers before it counts anything.
  if [ "$stage" = 1 ]; then sleep 20; fi
  # Idle: no poller, only what the instance does by itself (promotion, snapshots, sweeps).
  masters_around sleep "$s5_idle" # one turnover of every room or more, so one promotion burst does not decide it
  idle=$masters
  answers0=$(polls_answered "${room_url[s5-event]}")
  masters_around load "s5-event-s$stage" "${room_url[s5-event]}/_wr/status" "$duration" "$work/s5-event-pollers.txt" application/json
  read -r a_instance a_store <<<"$(paste -d' ' <(echo "$answers0") <(polls_answered "${room_url[s5-event]}") | awk '{ print $3 - $1, $4 - $2 }')"
  polls=$(sed -E 's/.*"requests":([0-9]+).*/\1/' "$raw/s5-event-s$stage.json")
  printf '{"stage":%s,"queued":%s,"pollers":%s,"polls":%s,"seconds":%s,"instanceAnswers":%s,"storeAnswers":%s,"masters":[%s],"idle":[%s]}\n' "$stage" "$queued" \
    "$(wc -l <"$work/s5-event-pollers.txt")" "$polls" "$masters_seconds" "$a_instance" "$a_store" "$masters" "$idle" >"$raw/s5-event-stage.r$stage.json"
  say "  event stage $stage: $(cat "$raw/s5-event-stage.r$stage.json")"
done
read -r a_instance a_store <<<"$(polls_answered "${room_url[s5-event]}")"
printf '{"instance":%s,"store":%s}\n' "$a_instance" "$a_store" >"$raw/s5-event-answers.json"
promoted=$(curl -fsS "${room_url[s5-event]}/_wr/metrics" | awk '/^wr_promoted_total/ { s += $2 } END { printf "%d", s }')
printf '{"promoted":%s}\n' "${promoted:-0}" >"$raw/s5-event-promoted.json"
say "  event: polls answered $(cat "$raw/s5-event-answers.json"); promoted $(cat "$raw/s5-event-promoted.json")"
stop_rooms
fi

# --- report -------------------------------------------------------------------------------------
elapsed=$(( $(date +%s) - started_at ))
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
memory=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
cat >"$raw/meta.json" <<JSON
{"mode":"$mode","date":"$(date -u +%Y-%m-%dT%H:%MZ)","machine":"$(nproc) cores, $memory, ${cpu//\"/}",
 "os":"$(. /etc/os-release && echo "$PRETTY_NAME")","dotnet":"$(dotnet --version)","redis":"$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')",
 "wrk":"$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f2)","commit":"$(git rev-parse --short HEAD)",
 "wrkThreads":$threads,"wrkConnections":$connections,"pinned":"$pinned","seconds":$duration,"warmupSeconds":$warmup,
 "rounds":$rounds,"crowdSizes":"$crowd_sizes","releaseIntervalSeconds":$release_interval,"elapsedSeconds":$elapsed,
 "loadAverageAtStart":"$load_at_start","loadAverageAtEnd":"$(cut -d' ' -f1-3 /proc/loadavg)"}
JSON
svg_args=(--svg "$out/benchmarks.svg")
status=0
tool report --raw "$raw" --out "$out" "${svg_args[@]}" || status=$?
if [ "$owr" = yes ] && [ -f "$out/results.md" ]; then # the owr peer's rows and ratios (bench/owr/report.sh)
  bench/owr/report.sh "$raw" >"$out/owr.md"
  cat "$out/owr.md" >>"$out/results.md"
  cat "$out/owr.md"
fi
if [ "$chart" = yes ] || { [ "$chart" = auto ] && [ "$mode" = full ]; }; then
  cp "$out/benchmarks.svg" docs/benchmarks.svg
  say "chart copied to docs/benchmarks.svg"
fi
say "done in $(( $(date +%s) - started_at )) s ($mode); results in $out"
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then exit "$status"; fi
if [ "$strict" -eq 1 ]; then exit "$status"; fi
exit 0
