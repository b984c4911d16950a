#!/usr/bin/env bash
# Runs every test of WaitingRoom: installs what the tests need (redis-server, chromium and
# chromium-driver from Debian's packages when they are missing), restores, builds and runs the whole suite, then prints one
# closing line "N passed, M failed" taken from the test results file.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# Needed even with WR_TEST_REDIS: the cost and outage tests start servers of their own.
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server not found: installing it from Debian's packages" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # The package starts a system-wide server; the tests start their own on a free port.
  as_root systemctl stop redis-server >/dev/null 2>&1 || true
fi

# The browser test drives Debian's chromium with Debian's chromedriver (no browser download).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "chromium or chromedriver not found: installing them from Debian's packages" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet restore WaitingRoom.sln
dotnet build WaitingRoom.sln --no-restore -c Release

status=0
dotnet test WaitingRoom.sln --no-build -c Release \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" -- RunConfiguration.TestSessionTimeout=900000 || status=$?

passed=0
failed=0
found=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  found=1
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

if [ "$found" -eq 0 ]; then
  echo "no test results were written" >&2
  [ "$status" -ne 0 ] || status=1
fi

echo "${passed} passed, ${failed} failed"
if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
