#!/usr/bin/env bash
# Builds the WaitingRoom image from the unchanged Dockerfile and runs it as an operator would, on a
# machine with podman and no Docker engine and no reachable image registry:
#   1. installs podman, buildah, runc, debootstrap and podman-compose from Debian's packages if missing;
#   2. builds local stand-ins of the base images the Dockerfile and docker-compose.yml name, tagged
#      with exactly those names (scripts/standin-images/README.md says what each one is);
#   3. builds the Dockerfile into localhost/waitingroom:latest in podman's default store;
#   4. runs it with env vars only, non-root, read-only root filesystem, and checks health, readiness,
#      the queue, Redis on the host, a bad variable, HEALTHCHECK, SIGTERM, size and uid;
#   5. runs docker-compose.yml (three WaitingRoom replicas on one Redis) and checks the capacity;
#   6. builds deploy/kubernetes/ with kustomize, checks it against the Kubernetes schemas offline and
#      checks its settings with the image's --check-config.
# Quiet on success: one line per check and a closing "N passed, M failed". Every build and container
# log is in artifacts/container-test/; on a failure the relevant log is printed.
# Needs root (rootful podman). The base root filesystem and the stand-in images are kept between
# runs (WR_CONTAINER_CACHE, default /var/tmp/waitingroom-container; the images in podman's store).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "container-test.sh runs podman as root (rootful, vfs storage): run it as root" >&2
  exit 1
fi

cache=${WR_CONTAINER_CACHE:-/var/tmp/waitingroom-container}
logs="$repo/artifacts/container-test"
rm -rf "$logs"
mkdir -p "$logs" "$cache"
started=$(date +%s)

passed=0
failed=0
# Seconds since the start, per step, in timings.log (the figures the README quotes).
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; echo "$(( $(date +%s) - started )) s  $1" >>"$logs/timings.log"; }
fail() {
  failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"
  shift
  local file
  for file in "$@"; do
    [ -s "$file" ] && { echo "---- $file (last 60 lines)"; tail -n 60 "$file"; echo "----"; }
  done
  return 0
}
# A step that the later checks cannot do without: print its log and stop.
die() { echo "FAIL  $1" >&2; shift; local f; for f in "$@"; do [ -s "$f" ] && { echo "---- $f (last 80 lines)" >&2; tail -n 80 "$f" >&2; }; done; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
# Runs a command with its output in a log file; prints nothing unless asked.
quiet() { local log=$1; shift; "$@" >>"$log" 2>&1; }

# ---- packages ----------------------------------------------------------------------------------
need=()
for package in podman buildah runc debootstrap podman-compose netavark aardvark-dns iptables redis-server curl; do
  dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$' || need+=("$package")
done
# Node.js may come from elsewhere than Debian (with its own npm): only a missing command counts.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing from Debian's packages: ${need[*]}"
  quiet "$logs/apt.log" apt-get update -q || die "apt-get update" "$logs/apt.log"
  quiet "$logs/apt.log" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" \
    || die "apt-get install ${need[*]}" "$logs/apt.log"
  # The redis-server package starts a system-wide server; the tests start their own.
  systemctl stop redis-server >/dev/null 2>&1 || true
fi

# ---- podman's configuration --------------------------------------------------------------------
# This machine's podman runs as root with vfs storage, runc and cgroupfs (crun fails on its
# cgroups), and needs explicit ulimits. Written once here instead of on every command; export the
# three variables to run the image by hand (README, "Container").
cat >"$cache/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
# No registry is reachable: every image must be local, and a missing one fails at once.
pull_policy = "never"
EOF
# Short names (redis:7-alpine, traefik/whoami in the Compose file) mean Docker Hub, as with Docker.
cat >"$cache/registries.conf" <<'EOF'
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
EOF
cat >"$cache/storage.conf" <<'EOF'
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
export CONTAINERS_CONF="$cache/containers.conf" CONTAINERS_STORAGE_CONF="$cache/storage.conf" \
       CONTAINERS_REGISTRIES_CONF="$cache/registries.conf"
# Any build (also one started by podman-compose) keeps HEALTHCHECK: the OCI format drops it.
export BUILDAH_FORMAT=docker
quiet "$logs/podman-info.log" podman info || die "podman info (podman's configuration)" "$logs/podman-info.log"

# ---- stand-in base images ----------------------------------------------------------------------
standins="$repo/scripts/standin-images"
# Rebuilt only when what goes into it changes: a hash of its Containerfile, its base image and its
# inputs is kept as a label and compared.
image_key() { { cat "$1"; shift; printf '%s\n' "$@"; } | sha256sum | cut -c1-16; }
current_key() { podman image inspect --format '{{index .Labels "waitingroom.standin.key"}}' "$1" 2>/dev/null || true; }
image_id() { podman image inspect --format '{{.Id}}' "$1"; }
build_standin() { # tag containerfile context key [build args]
  local tag=$1 file=$2 context=$3 key=$4; shift 4
  if [ "$(current_key "$tag")" = "$key" ]; then
    pass "stand-in $tag (cached)"
    return
  fi
  local log="$logs/standin-$(basename "$file" .Containerfile).log"
  if quiet "$log" podman build --pull=never --format docker --network host \
      --label "waitingroom.standin.key=$key" --label "waitingroom.standin=built on a test stand-in of $tag (scripts/standin-images)" \
      -t "$tag" -f "$file" "$@" "$context"; then
    pass "stand-in $tag (built)"
  else
    die "stand-in $tag" "$log"
  fi
}

# Debian's mirror as this machine's apt has it (deb822 or one-line sources).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"

rootfs_tar="$cache/rootfs/rootfs.tar"
if [ ! -s "$rootfs_tar" ]; then
  rm -rf "$cache/rootfs"
  mkdir -p "$cache/rootfs"
  # minbase plus what the .NET images install (runtime-deps: ca-certificates, ICU, OpenSSL, tzdata).
  if ! quiet "$logs/debootstrap.log" debootstrap --variant=minbase \
      --include=ca-certificates,libicu72,libssl3,tzdata bookworm "$cache/rootfs/tree" "$mirror"; then
    die "debootstrap of Debian bookworm" "$logs/debootstrap.log"
  fi
  tree="$cache/rootfs/tree"
  # Trimmed like debian:bookworm-slim: no docs, man pages or translations, now or after apt installs.
  cat >"$tree/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
  find "$tree/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  rm -rf "$tree"/usr/share/man/* "$tree"/usr/share/info/* "$tree"/usr/share/locale/* \
         "$tree"/var/lib/apt/lists/* "$tree"/var/cache/apt/*.bin "$tree"/var/cache/apt/archives/*.deb \
         "$tree"/var/log/*.log "$tree"/var/log/apt/*
  tar -C "$tree" --numeric-owner -cf "$rootfs_tar.partial" . && mv "$rootfs_tar.partial" "$rootfs_tar"
  rm -rf "$tree"
fi
base_tag=localhost/waitingroom-standin/debian:bookworm-slim
build_standin "$base_tag" "$standins/debian-bookworm-slim.Containerfile" "$cache/rootfs" \
  "$(image_key "$standins/debian-bookworm-slim.Containerfile" "$(stat -c '%s %Y' "$rootfs_tar")")"

# The .NET parts come from this machine's install, linked (not copied) into a context folder each.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime_version=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -n 1)
aspnet_version=$(ls "$dotnet_root/shared/Microsoft.AspNetCore.App" | sort -V | tail -n 1)
sdk_version=$(ls "$dotnet_root/sdk" | sort -V | tail -n 1)
link_into() { # destination, then paths relative to the .NET root
  local dest=$1; shift
  rm -rf "$dest"; mkdir -p "$dest"
  local part
  for part in "$@"; do
    mkdir -p "$dest/$(dirname "$part")"
    cp -al "$dotnet_root/$part" "$dest/$part" 2>/dev/null || cp -a "$dotnet_root/$part" "$dest/$part"
  done
}
aspnet_key=$(image_key "$standins/aspnet.Containerfile" "$(image_id "$base_tag")" "$runtime_version" "$aspnet_version")
if [ "$(current_key mcr.microsoft.com/dotnet/aspnet:10.0)" != "$aspnet_key" ]; then
  link_into "$cache/context-aspnet" dotnet LICENSE.txt ThirdPartyNotices.txt host \
    "shared/Microsoft.NETCore.App/$runtime_version" "shared/Microsoft.AspNetCore.App/$aspnet_version"
fi
build_standin mcr.microsoft.com/dotnet/aspnet:10.0 "$standins/aspnet.Containerfile" "$cache/context-aspnet" "$aspnet_key" \
  --build-arg "DOTNET_VERSION=$runtime_version" --build-arg "ASPNET_VERSION=$aspnet_version"
revocation=${NUGET_CERT_REVOCATION_MODE:-online}
host_cas=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum)
sdk_key=$(image_key "$standins/sdk.Containerfile" "$(image_id mcr.microsoft.com/dotnet/aspnet:10.0)" "$sdk_version" "$revocation" "$host_cas")
if [ "$(current_key mcr.microsoft.com/dotnet/sdk:10.0)" != "$sdk_key" ]; then
  rm -rf "$cache/context-sdk"
  link_into "$cache/context-sdk/dotnet" packs "sdk/$sdk_version" sdk-manifests templates
  mkdir -p "$cache/context-sdk/ca"
  cp /usr/local/share/ca-certificates/*.crt "$cache/context-sdk/ca/" 2>/dev/null || true
fi
build_standin mcr.microsoft.com/dotnet/sdk:10.0 "$standins/sdk.Containerfile" "$cache/context-sdk" "$sdk_key" \
  --build-arg "DOTNET_SDK_VERSION=$sdk_version" --build-arg "NUGET_CERT_REVOCATION_MODE=$revocation"
build_standin docker.io/library/redis:7-alpine "$standins/redis.Containerfile" "$standins" \
  "$(image_key "$standins/redis.Containerfile" "$(image_id "$base_tag")")"
build_standin docker.io/traefik/whoami:latest "$standins/whoami.Containerfile" "$standins" \
  "$(image_key "$standins/whoami.Containerfile" "$(image_id "$base_tag")" "$(sha256sum "$standins/whoami.py")")"
rm -rf "$cache/context-aspnet" "$cache/context-sdk"

# ---- the product image -------------------------------------------------------------------------
image=localhost/waitingroom:latest
build_started=$(date +%s)
# --network host: the restore inside the build reaches NuGet through the host's network.
if quiet "$logs/build.log" podman build --pull=never --format docker --network host -t "$image" -f Dockerfile .; then
  pass "podman build of the Dockerfile -> $image ($(( $(date +%s) - build_started )) s)"
else
  die "podman build of the Dockerfile" "$logs/build.log"
fi
# vfs keeps every layer as a full copy (the SDK's are ~0.8 GB each), so untagged images that this
# build did not use (earlier builds' layers, replaced stand-ins) are removed: the store stays at the
# stand-ins plus one build's cache instead of growing with every change to src/.
keep=$(sed -n 's/^--> \([0-9a-f]\{10,\}\)$/\1/p' "$logs/build.log")
for id in $(podman images --filter dangling=true --no-trunc --format '{{.ID}}'); do
  used=no
  for k in $keep; do case "${id#sha256:}" in "$k"*) used=yes ;; esac; done
  [ "$used" = yes ] || podman rmi "$id" >>"$logs/prune.log" 2>&1 || true
done
config=$(podman image inspect --format '{{.Config.User}}|{{json .Config.Healthcheck}}|{{json .Config.ExposedPorts}}|{{json .Config.Entrypoint}}' "$image")
image_size=$(podman image inspect --format '{{.Size}}' "$image")
case "$config" in
  1654\|*'"Test":'*'/_wr/health'*'8080/tcp'*'["dotnet","WaitingRoom.dll"]') pass "image: user 1654, HEALTHCHECK kept, port 8080, dotnet WaitingRoom.dll" ;;
  *) fail "image configuration: $config" ;;
esac

# ---- helpers for the runs ----------------------------------------------------------------------
ours=()   # containers this script started, removed on exit
redis_pid=""
cleanup() {
  local c
  for c in "${ours[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  if [ -n "${compose_project:-}" ]; then
    (cd "$repo" && podman-compose -p "$compose_project" -f docker-compose.yml -f "$compose_override" down -v) >>"$logs/compose.log" 2>&1 || true
    podman network rm "${compose_project}_default" >>"$logs/compose.log" 2>&1 || true
  fi
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  return 0
}
trap cleanup EXIT

# A free loopback port: nothing answers on it.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}
# status URL [curl args...]: prints the HTTP status, the body goes to $body.
body="$logs/body.txt"
http() { local url=$1; shift; curl -s -o "$body" -w '%{http_code}' --max-time 5 "$@" "$url" 2>/dev/null || echo 000; }
wait_for() { # seconds, then a command that succeeds when ready
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# ---- Redis on the host -------------------------------------------------------------------------
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  >"$logs/redis-host.log" 2>&1 &
redis_pid=$!
wait_for 10 redis-cli -p "$redis_port" ping >/dev/null 2>&1 || die "redis-server on 127.0.0.1:$redis_port" "$logs/redis-host.log"

# ---- the image as an operator runs it ----------------------------------------------------------
# Env vars only; the image's own user; nothing writable but a tmpfs on /tmp. --network host: the
# room reaches the host's Redis on loopback and the checks reach the room on 127.0.0.1.
port=$(free_port)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
room=wrtest-room
ours+=("$room")
podman rm -f "$room" >/dev/null 2>&1 || true
if ! quiet "$logs/run.log" podman run -d --name "$room" --network host \
    --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,size=64m \
    -e WR_PORT="$port" -e WR_REDIS_HOST=127.0.0.1 -e WR_REDIS_PORT="$redis_port" \
    -e WR_SECRET="$secret" -e WR_MAX_ACTIVE=1 -e WR_ACTIVE_TTL=2 -e WR_RELEASE_INTERVAL=0.5 \
    -e WR_SHUTDOWN_DELAY=2 -e WR_SHUTDOWN_TIMEOUT=6 \
    "$image"; then
  die "podman run of $image" "$logs/run.log"
fi
room_log() { podman logs "$room" >"$logs/room.log" 2>&1 || true; echo "$logs/room.log"; }
ready() { [ "$(http "http://127.0.0.1:$port/_wr/ready")" = 200 ]; }
if wait_for 30 ready; then
  pass "/_wr/ready 200 within 30 s (Redis on the host reached through WR_REDIS_HOST)"
else
  die "/_wr/ready did not answer 200 within 30 s" "$(room_log)"
fi
code=$(http "http://127.0.0.1:$port/_wr/health")
[ "$code" = 200 ] && pass "/_wr/health 200" || fail "/_wr/health answered $code" "$(room_log)"

pid=$(podman inspect --format '{{.State.Pid}}' "$room")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")
process=$(tr '\0' ' ' <"/proc/$pid/cmdline")
if [ "$uid" = 1654 ] && [ "$caps" = 0000000000000000 ]; then
  pass "process '${process% }' runs as uid $uid with no capabilities"
else
  fail "process uid $uid, effective capabilities $caps (expected 1654 and none)"
fi
if podman exec "$room" bash -c 'touch /home/app/x' >/dev/null 2>&1 || ! podman exec "$room" bash -c 'touch /tmp/x' >/dev/null 2>&1; then
  fail "root filesystem read-only and /tmp writable"
else
  pass "root filesystem read-only, /tmp writable"
fi

# Capacity 1: the first visitor is let in, the second waits, then gets in once the first one's
# slot expires (WR_ACTIVE_TTL=2) and a promotion round releases it.
jar_a="$logs/visitor-a.jar" jar_b="$logs/visitor-b.jar"
code=$(http "http://127.0.0.1:$port/" -c "$jar_a" -b "$jar_a")
if [ "$code" = 200 ] && grep -q 'demo origin' "$body"; then pass "first visitor admitted (demo origin)"; else fail "first visitor: $code $(head -c 200 "$body")" "$(room_log)"; fi
code=$(http "http://127.0.0.1:$port/" -c "$jar_b" -b "$jar_b" -H 'Accept: application/json')
if grep -q '"state":"queued","position":1' "$body"; then pass "second visitor queued at position 1 (WR_MAX_ACTIVE=1)"; else fail "second visitor: $code $(head -c 200 "$body")" "$(room_log)"; fi
code=$(http "http://127.0.0.1:$port/" -b "$jar_b" -H 'Accept: text/html')
grep -q 'id="wr-text"' "$body" && page=found || page=missing
css=$(http "http://127.0.0.1:$port/_wr/assets/queue.css")
if [ "$page" = found ] && [ "$css" = 200 ]; then
  pass "queue page and /_wr/assets/queue.css served from the image's wwwroot/"
else
  fail "queue page from wwwroot/ (page $code, its text $page; queue.css $css)" "$(room_log)"
fi
promoted() { http "http://127.0.0.1:$port/_wr/status" -b "$jar_b" >/dev/null; grep -q '"state":"\(released\|active\)"' "$body"; }
if wait_for 20 promoted && [ "$(http "http://127.0.0.1:$port/" -b "$jar_b" -c "$jar_b")" = 200 ] && grep -q 'demo origin' "$body"; then
  pass "second visitor admitted after the first one's slot expired"
else
  fail "second visitor not admitted within 20 s: $(cat "$body" | head -c 200)" "$(room_log)"
fi
keys=$(redis-cli -p "$redis_port" --scan --pattern 'wr:*' | wc -l)
[ "$keys" -gt 0 ] && pass "the room's state is in the host's Redis ($keys wr:* keys)" || fail "no wr:* keys in the host's Redis"

if podman healthcheck run "$room" >"$logs/healthcheck.log" 2>&1; then
  pass "HEALTHCHECK command passes (podman healthcheck run)"
else
  fail "podman healthcheck run" "$logs/healthcheck.log"
fi

# SIGTERM: /_wr/ready turns 503 at once, the room keeps listening for WR_SHUTDOWN_DELAY (2 s) and
# exits 0 well before WR_SHUTDOWN_TIMEOUT (6 s); podman's own timeout (20 s) would SIGKILL.
stop_started=$(date +%s%N)
podman stop -t 20 "$room" >"$logs/stop.log" 2>&1 &
stopper=$!
draining() { [ "$(http "http://127.0.0.1:$port/_wr/ready")" = 503 ] && grep -q draining "$body"; }
if wait_for 2 draining; then drained=yes; else drained=no; fi
wait "$stopper" || true
stop_ms=$(( ($(date +%s%N) - stop_started) / 1000000 ))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$room")
if [ "$drained" = yes ] && [ "$exit_code" = 0 ] && [ "$stop_ms" -ge 2000 ] && [ "$stop_ms" -lt 8000 ]; then
  pass "podman stop: /_wr/ready 503 draining, exit code 0 after $stop_ms ms (WR_SHUTDOWN_DELAY=2, WR_SHUTDOWN_TIMEOUT=6)"
else
  fail "podman stop: draining seen: $drained, exit code $exit_code after $stop_ms ms" "$(room_log)" "$logs/stop.log"
fi

# A bad variable: exit code 2 and the variable named on stderr, before anything listens.
set +e
podman run --rm --network host -e WR_MAX_ACTIVE=abc "$image" >"$logs/bad-variable.out" 2>"$logs/bad-variable.err"
bad_exit=$?
set -e
if [ "$bad_exit" = 2 ] && grep -q "WR_MAX_ACTIVE='abc' is not valid" "$logs/bad-variable.err"; then
  pass "WR_MAX_ACTIVE=abc: exit code 2, \"$(grep -m1 "WR_MAX_ACTIVE='abc'" "$logs/bad-variable.err" | cut -c1-70)...\" on stderr"
else
  fail "WR_MAX_ACTIVE=abc: exit code $bad_exit" "$logs/bad-variable.err" "$logs/bad-variable.out"
fi

# ---- Compose: Redis + backend + three WaitingRoom replicas ------------------------------------
# docker-compose.yml as shipped (WR_MAX_ACTIVE=2), plus scripts/container-test.compose.yml: three
# replicas of the room, each published on a loopback port of its own.
compose_override="$repo/scripts/container-test.compose.yml"
compose_project=wrtest
export WAITINGROOM_PORT="127.0.0.1:" WR_SECRET="$secret"
compose() { (cd "$repo" && podman-compose -p "$compose_project" -f docker-compose.yml -f "$compose_override" "$@"); }
compose down -v >>"$logs/compose.log" 2>&1 || true
if ! compose up -d >>"$logs/compose.log" 2>&1; then
  die "podman-compose up" "$logs/compose.log"
fi
replicas=()
for n in 1 2 3; do
  address=$(podman port "${compose_project}_waitingroom_$n" 8080/tcp 2>>"$logs/compose.log" | head -n 1)
  [ -n "$address" ] || die "compose: replica $n is not published" "$logs/compose.log"
  replicas+=("$address")
done
all_ready() { local r; for r in "${replicas[@]}"; do [ "$(http "http://$r/_wr/ready")" = 200 ] || return 1; done; }
if wait_for 60 all_ready; then
  pass "compose: redis, backend and three waitingroom replicas up; all ready (${replicas[*]})"
else
  podman ps -a >>"$logs/compose.log" 2>&1 || true
  for c in $(podman ps -a --format '{{.Names}}' | grep "^${compose_project}_"); do
    { echo "---- $c"; podman logs "$c" 2>&1 | tail -n 20; } >>"$logs/compose.log"
  done
  die "compose: replicas not ready within 60 s" "$logs/compose.log"
fi
# Nine new visitors, round-robin over the replicas: exactly two reach the backend.
admitted=0 queued=0 leaked=0
for i in $(seq 1 9); do
  r=${replicas[$(( i % 3 ))]}
  jar="$logs/compose-visitor-$i.jar"
  code=$(http "http://$r/" -c "$jar" -b "$jar" -H 'Accept: application/json')
  if grep -q '^Hostname:' "$body"; then
    admitted=$((admitted + 1))
    # The backend sees the forwarded request without the room's cookie.
    grep -qi '^Cookie:.*wr_token' "$body" && leaked=$((leaked + 1))
  elif grep -q '"state":"queued"' "$body"; then
    queued=$((queued + 1))
  fi
done
# Each admitted visitor comes back through another replica and is still let in.
again=0
for i in $(seq 1 9); do
  r=${replicas[$(( (i + 1) % 3 ))]}
  jar="$logs/compose-visitor-$i.jar"
  http "http://$r/" -b "$jar" -H 'Accept: application/json' >/dev/null
  grep -q '^Hostname:' "$body" && again=$((again + 1))
done
if [ "$admitted" = 2 ] && [ "$queued" = 7 ] && [ "$again" = 2 ] && [ "$leaked" = 0 ]; then
  pass "compose: 9 visitors over 3 replicas, WR_MAX_ACTIVE=2: 2 reach the backend (also via another replica), 7 queued, no wr_token forwarded"
else
  fail "compose: admitted $admitted, queued $queued, admitted again $again, wr_token forwarded $leaked (expected 2, 7, 2, 0)" "$logs/compose.log"
fi
compose down -v >>"$logs/compose.log" 2>&1 || true
podman network rm "${compose_project}_default" >>"$logs/compose.log" 2>&1 || true
compose_project=""

# ---- Kubernetes manifests ----------------------------------------------------------------------
k8s_ok=yes
for overlay in production try-it; do
  if ! kubectl kustomize "deploy/kubernetes/$overlay" >"$logs/k8s-$overlay.yaml" 2>"$logs/k8s-$overlay.err"; then
    fail "kubectl kustomize deploy/kubernetes/$overlay" "$logs/k8s-$overlay.err"; k8s_ok=no
  fi
done
if [ "$k8s_ok" = yes ]; then
  # Offline schema check: kubernetes-models (the Kubernetes OpenAPI schemas compiled to validators),
  # installed once into the cache; plus unknown fields, which those schemas let through.
  check="$cache/k8s-check"
  mkdir -p "$check"
  cp deploy/kubernetes/check/package.json "$check/"
  if [ ! -d "$check/node_modules/kubernetes-models" ] || ! cmp -s deploy/kubernetes/check/package.json "$check/package.json.installed"; then
    if (cd "$check" && npm install --no-audit --no-fund --loglevel=error) >"$logs/npm.log" 2>&1; then
      cp deploy/kubernetes/check/package.json "$check/package.json.installed"
    else
      fail "npm install of the schema check (kubernetes-models)" "$logs/npm.log"; k8s_ok=no
    fi
  fi
fi
if [ "$k8s_ok" = yes ]; then
  for overlay in production try-it; do
    cp deploy/kubernetes/check/validate.mjs "$check/"
    if node "$check/validate.mjs" "$logs/k8s-$overlay.yaml" \
        "$logs/k8s-$overlay-config" >"$logs/k8s-$overlay.check" 2>&1; then
      pass "kubernetes $overlay: $(tail -n 1 "$logs/k8s-$overlay.check")"
    else
      fail "kubernetes $overlay: schema check" "$logs/k8s-$overlay.check"
      continue
    fi
    if [ "$overlay" = try-it ]; then
      # The check itself must catch mistakes: a misspelt field and a wrong type.
      sed 's/readinessProbe:/readinesProbe:/; s/allowPrivilegeEscalation: false/allowPrivilegeEscalation: "no"/' \
        "$logs/k8s-$overlay.yaml" >"$logs/k8s-broken.yaml"
      node "$check/validate.mjs" "$logs/k8s-broken.yaml" "$logs/k8s-broken-config" >"$logs/k8s-broken.check" 2>&1 || true
      if grep -q 'readinesProbe: no such field' "$logs/k8s-broken.check" && grep -q 'allowPrivilegeEscalation must be boolean' "$logs/k8s-broken.check"; then
        pass "kubernetes schema check refuses a misspelt field (readinesProbe) and a wrong type"
      else
        fail "kubernetes schema check let a misspelt field or a wrong type through" "$logs/k8s-broken.check"
      fi
    fi
    # The overlay's settings and rooms file, checked by the image itself.
    set +e
    podman run --rm --network none --env-file "$logs/k8s-$overlay-config/env" \
      -v "$logs/k8s-$overlay-config/rooms:/etc/waitingroom:ro" "$image" --check-config \
      >"$logs/k8s-$overlay.check-config" 2>&1
    check_exit=$?
    set -e
    if [ "$overlay" = try-it ]; then
      if [ "$check_exit" = 0 ]; then pass "kubernetes try-it: its settings and rooms.json pass --check-config"
      else fail "kubernetes try-it: --check-config exit $check_exit" "$logs/k8s-$overlay.check-config"; fi
    else
      # The Secret's placeholders are invalid on purpose, so a forgotten one stops start-up.
      out="$logs/k8s-$overlay.check-config"
      if [ "$check_exit" = 2 ] && grep -q "^WR_SECRET=" "$out" && grep -q "^WR_ADMIN_TOKEN=" "$out" && \
         [ "$(grep -c 'is not valid' "$out")" = 2 ]; then
        pass "kubernetes production: --check-config refuses only the Secret's placeholders (exit 2: WR_SECRET, WR_ADMIN_TOKEN)"
      else
        fail "kubernetes production: --check-config exit $check_exit" "$logs/k8s-$overlay.check-config"
      fi
    fi
  done
fi

echo "image $image: $((image_size / 1000000)) MB, process uid ${uid:-?}; took $(( $(date +%s) - started )) s; logs in artifacts/container-test/"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
