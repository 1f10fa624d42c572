#!/usr/bin/env bash
# Runs every test of SlicerBridge: dotnet (xunit), C++ (ctest, OpenIGTLink interop peers), Python (slicer-extension).
# Installs its own prerequisites on Debian (libopenigtlink-dev, cmake, g++, python3-numpy, haproxy) when missing.
# Ends with the plain line "N passed, N failed" summed over all runners; exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
logdir="$root/build/test-logs"; mkdir -p "$logdir"

# ---- prerequisites --------------------------------------------------------------------------------
need=()
[ -f /usr/include/openigtlink/igtlMessageBase.h ] || [ -n "$(ls /usr/include/openigtlink* 2>/dev/null)" ] || need+=(libopenigtlink-dev)
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy) # deploy/haproxy test (two servers behind it)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing test prerequisites: ${need[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${need[@]}" >"$logdir/apt.log" 2>&1 \
    || { echo "apt-get install failed, see $logdir/apt.log"; tail -20 "$logdir/apt.log"; }
fi
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

passed=0; failed=0; skipped=0; broken=()

# ---- C++: interop peers and their own checks (ctest) ----------------------------------------------
echo "== C++: building OpenIGTLink interop peers"
if cmake -S tests/interop -B build/interop -DCMAKE_BUILD_TYPE=Release >"$logdir/cmake.log" 2>&1 \
   && cmake --build build/interop -j2 >>"$logdir/cmake.log" 2>&1; then
  export SLICERBRIDGE_INTEROP_BIN="$root/build/interop"
  (cd build/interop && ctest --output-on-failure) 2>&1 | tee "$logdir/ctest.log"
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$logdir/ctest.log" | tail -1)
  if [ -n "$line" ]; then
    f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + t - f)); failed=$((failed + f))
  elif ! grep -q 'No tests were found' "$logdir/ctest.log"; then broken+=(ctest); fi
else
  echo "C++ interop peers failed to build:"; tail -30 "$logdir/cmake.log"; broken+=(cmake)
fi

# ---- dotnet ---------------------------------------------------------------------------------------
echo "== dotnet: build and test"
if dotnet build SlicerBridge.sln -c Release -nologo -v q >"$logdir/dotnet-build.log" 2>&1; then
  for proj in tests/*/*.csproj; do
    name=$(basename "$proj" .csproj)
    dotnet test "$proj" -c Release --no-build -nologo --logger "console;verbosity=minimal" 2>&1 | tee "$logdir/$name.log"
    line=$(grep -E '(Passed|Failed)!? +- +Failed: +[0-9]+, Passed: +[0-9]+' "$logdir/$name.log" | tail -1)
    if [ -n "$line" ]; then
      f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line"); p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")
      s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
      passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    else broken+=("$name"); fi
  done
else
  echo "dotnet build failed:"; grep -E 'error' "$logdir/dotnet-build.log" | head -40; broken+=(dotnet-build)
fi

# ---- Python: slicer-extension logic and server integration ----------------------------------------
if [ -d slicer-extension/tests ]; then
  echo "== python: slicer-extension"
  export SLICERBRIDGE_SERVER_DLL="$root/src/SlicerBridge.Host/bin/Release/net10.0/slicerbridge.dll"
  (cd slicer-extension && "$PY" -m unittest discover -s tests -t . -v) 2>&1 | tee "$logdir/python.log"
  ran=$(grep -E '^Ran [0-9]+ test' "$logdir/python.log" | tail -1 | sed -E 's/Ran ([0-9]+).*/\1/')
  if [ -n "$ran" ]; then
    f=0; s=0
    res=$(grep -E '^(OK|FAILED)' "$logdir/python.log" | tail -1)
    for kind in failures errors; do
      n=$(grep -oE "$kind=[0-9]+" <<<"$res" | cut -d= -f2); f=$((f + ${n:-0}))
    done
    n=$(grep -oE "skipped=[0-9]+" <<<"$res" | cut -d= -f2); s=${n:-0}
    passed=$((passed + ran - f - s)); failed=$((failed + f)); skipped=$((skipped + s))
  else broken+=(python); fi
fi

echo
[ ${#broken[@]} -gt 0 ] && { echo "runners that did not report: ${broken[*]}"; failed=$((failed + ${#broken[@]})); }
echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
