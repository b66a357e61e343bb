#!/usr/bin/env bash
# Fuzzes the parsers of untrusted bytes (tests/fuzz/Ganymede.Fuzz/Targets.cs) with afl-fuzz (Debian's afl++) on a
# SharpFuzz-instrumented build, starting from the real files in tests/fuzz/corpus/TARGET.
#   bench/fuzz.sh TARGET SECONDS    one target        bench/fuzz.sh all SECONDS    each target in turn
# First replays the target's corpus and its regressions (tests/fuzz/regressions/TARGET: every crash found, kept) on
# the plain build; then fuzzes and prints "fuzz TARGET: N executions, N/s, N crashes, N hangs". Exits 1 on any crash,
# leaving the crashing inputs under .artifacts/fuzz/findings/TARGET/default/crashes (copy them to regressions/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 2 ] || { echo "usage: bench/fuzz.sh TARGET|all SECONDS" >&2; exit 2; }
targets=$1 seconds=$2
[ "$targets" = all ] && targets="nifti png safetensors onnx hdf5 detect multipart tus jupyter"
command -v afl-fuzz >/dev/null || { echo "fuzz: afl-fuzz is missing (apt-get install afl++; scripts/setup.sh --test installs it)" >&2; exit 1; }

out="$root/.artifacts/fuzz"
rm -rf "$out/plain" "$out/afl" "$out/tmp"
# The targets' scratch files and data directory: a fuzzed process ends by a signal, with no chance to remove them.
mkdir -p "$out/tmp"
export TMPDIR="$out/tmp"
trap 'rm -rf "$out/tmp"' EXIT
dotnet publish "$root/tests/fuzz/Ganymede.Fuzz" -c Release -o "$out/plain" --nologo -v quiet
cp -r "$out/plain" "$out/afl"
# Coverage is traced in the code that parses: ours and Google.Protobuf (the ONNX reader). The framework's own
# assemblies (the multipart reader among them) are not IL-only and cannot be instrumented.
for assembly in Ganymede.Formats Ganymede.Onnx Ganymede.Onnx.Proto Ganymede.Server Ganymede.Kernel Google.Protobuf; do
  (cd "$root" && dotnet tool run sharpfuzz "$out/afl/$assembly.dll" >/dev/null)
done

failed=0 passed=0 crashed=0
for target in $targets; do
  replay=("$root/tests/fuzz/corpus/$target")
  [ -d "$root/tests/fuzz/regressions/$target" ] && replay+=("$root/tests/fuzz/regressions/$target")
  dotnet "$out/plain/Ganymede.Fuzz.dll" "$target" --replay "${replay[@]}" || { failed=1 crashed=$((crashed + 1)); continue; }
  findings="$out/findings/$target"
  rm -rf "$findings" && mkdir -p "$out/findings"
  # No screen, no CPU binding or governor checks (containers), and crashes are reported by the .NET runtime, not core dumps.
  AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    afl-fuzz -i "$root/tests/fuzz/corpus/$target" -o "$findings" -V "$seconds" -t 5000 -m none -- "$(command -v dotnet)" "$out/afl/Ganymede.Fuzz.dll" "$target" >"$out/$target.log" 2>&1 \
    || { echo "fuzz $target: afl-fuzz failed; its output is in $out/$target.log" >&2; tail -20 "$out/$target.log" >&2; failed=1 crashed=$((crashed + 1)); continue; }
  stat() { sed -n "s/^$1 *: *//p" "$findings/default/fuzzer_stats"; }
  crashes=$(stat saved_crashes) hangs=$(stat saved_hangs)
  echo "fuzz $target: $(stat execs_done) executions, $(stat execs_per_sec)/s, $crashes crashes, $hangs hangs"
  if [ "$crashes" -gt 0 ]; then
    echo "fuzz $target: crashing inputs in $findings/default/crashes" >&2
    failed=1 crashed=$((crashed + 1))
  else
    passed=$((passed + 1))
  fi
done
# In dotnet test's words, so that scripts/test.sh counts each target as a test.
echo "fuzz targets: Failed: $crashed, Passed: $passed, Skipped: 0"
exit $failed
