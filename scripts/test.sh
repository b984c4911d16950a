#!/usr/bin/env bash
# Runs every test of WaitingRoom: installs what the tests need (redis-server, chromium and
# chromium-driver from Debian's packages when they are missing), restores, builds and runs both test
# projects (WaitingRoom.Tests in parallel, WaitingRoom.RealTime.Tests one class at a time). Quiet on
# success: per failed test its name and the first lines of its message, then one closing line
# "N passed, M failed" taken from the test results files (artifacts/test-results/*.trx, which hold
# every message and stack trace).
# Arguments are passed to dotnet test (e.g. --filter "FullyQualifiedName~QueueFlowTests").
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

# Quiet build: nothing on success; on failure, every error with its file and line.
build_log="$results/build.log"
if ! { dotnet restore WaitingRoom.sln -v q --nologo && dotnet build WaitingRoom.sln --no-restore -c Release -v q --nologo -clp:ErrorsOnly; } >"$build_log" 2>&1; then
  cat "$build_log" >&2
  exit 1
fi

# The runner's own lines per project stay (which assembly, its counts); its per-failure line is
# left out, as the loop below prints one per failed test from the results files. The projects run
# one after the other: the real-time tests (outages, deadlines, failover) measure in seconds and
# must not share the two cores with the hundreds of parallel tests of the first project.
{
  status=0
  for project in tests/WaitingRoom.Tests tests/WaitingRoom.RealTime.Tests; do
    dotnet test "$project" --no-build -c Release --nologo -v q \
      --logger trx --logger "console;verbosity=quiet" \
      --results-directory "$results" "$@" -- RunConfiguration.TestSessionTimeout=900000 2>&1 || status=$?
  done
  echo "$status" >"$results/status"
} | { grep -v -E '^(|A total of [0-9]+ test files? matched the specified pattern\.|Results File: .*|\[xUnit\.net [0-9:.]+\] +[^ ].* \[FAIL\])$' || true; }
status=$(cat "$results/status")

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
  # Per failed test its name and the first lines of its message (the stack trace stays in the .trx
  # file), so a failure on a machine whose files are gone still says what failed.
  awk '
    function unescape(s) { gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s); gsub(/&apos;/, "\047", s); gsub(/&#xD;/, "", s); gsub(/&#xA;/, "", s); gsub(/&amp;/, "\\&", s); return s }
    /<UnitTestResult / && /outcome="Failed"/ { name = $0; sub(/.* testName="/, "", name); sub(/".*/, "", name); print "failed: " unescape(name); failing = 1; shown = 0; next }
    failing && /<Message>/ { inside = 1; sub(/.*<Message>/, "") }
    failing && inside {
      last = sub(/<\/Message>.*/, "")
      if (shown < 12) { print "  " unescape($0); shown++ } else if (shown == 12) { print "  (more in the .trx file)"; shown++ }
      if (last) { inside = 0; failing = 0 }
    }
    /<\/UnitTestResult>/ { failing = 0; inside = 0 }
  ' "$trx"
done

if [ "$found" -eq 0 ]; then
  echo "no test results were written" >&2
  [ "$status" -ne 0 ] || status=1
fi

[ "$failed" -eq 0 ] || echo "details: $results/*.trx"
echo "${passed} passed, ${failed} failed"
if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
