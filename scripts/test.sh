#!/usr/bin/env bash
# Sets up and runs every test. The last line sums all test projects as "N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Each part says how long it took, so that a slow CI shows which part grew.
timed() { echo "time: $1 took $((SECONDS - started)) s"; started=$SECONDS; }
started=$SECONDS
bash "$root/scripts/setup.sh" --test || exit 1
timed "setting up"

# The integration tests write several GiB (models, a 500 MB upload, fault injection); too little room fails them
# for a reason that has nothing to do with the code, so say so first.
free_kib=$(df -Pk "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt $((8 * 1024 * 1024)) ]; then
  echo "the tests need 8 GiB free in ${TMPDIR:-/tmp}; it has $((free_kib / 1024)) MiB" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/log"
dotnet test "$root/Ganymede.sln" -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
timed "the .NET test projects"

# Every parser of untrusted bytes: its corpus and past crashes replayed, then a few seconds of afl-fuzz each. One
# afl-fuzz process at a time, mostly one core: it runs beside the server's suite on PostgreSQL, which waits on its
# database and its servers much of the time.
bash "$root/bench/fuzz.sh" all 5 > "$work/fuzz.log" 2>&1 &
fuzz=$!

# The server's suite once more on PostgreSQL (Debian's, started by the tests on a private port), as several servers run it.
GANYMEDE_TEST_DATABASE=postgresql dotnet test "$root/tests/Ganymede.Server.Tests" -c Release --no-build --nologo 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
wait "$fuzz"
fuzzstatus=$?
tee -a "$log" < "$work/fuzz.log"
timed "the server's suite on PostgreSQL and the fuzz targets"

"$root/ganymede" info > /dev/null || status=1  # built once, before the integration tests' workers run it

# The server's integration tests drive a real server with Debian's BioBlend (python3-bioblend 1.0.0). Two workers, as
# most of a test is waiting on a server; tests/python/conftest.py says which files share a worker.
/usr/bin/python3 -m pytest "$root/tests/python" -q -p no:cacheprovider -n 2 --dist loadgroup --durations=25 --basetemp "$work/pytest" 2>&1 | tee -a "$log"
pystatus=${PIPESTATUS[0]}
timed "the integration tests"

passed=0 failed=0 skipped=0
while read -r f p s; do
  failed=$((failed + f)); passed=$((passed + p)); skipped=$((skipped + s))
done < <(sed -n 's/.*Failed: *\([0-9]*\), Passed: *\([0-9]*\), Skipped: *\([0-9]*\).*/\1 \2 \3/p' "$log")
# pytest's summary line: "N passed, N failed, N skipped in ...s" (any part may be missing).
summary=$(grep -E '^[0-9]+ (passed|failed|skipped|error)|^=+ .*(passed|failed|error).* in ' "$log" | tail -1)
for kind in passed failed skipped error; do
  n=$(echo "$summary" | grep -oE "[0-9]+ $kind" | grep -oE '^[0-9]+' || true)
  case $kind in passed) passed=$((passed + ${n:-0}));; skipped) skipped=$((skipped + ${n:-0}));; *) failed=$((failed + ${n:-0}));; esac
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$pystatus" -ne 0 ] || [ "$fuzzstatus" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
