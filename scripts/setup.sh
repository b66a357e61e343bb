#!/usr/bin/env bash
# Installs what Ganymede needs on Debian 12 (run as root): native libraries, and with --test the peers
# the test suite checks against. Idempotent: packages already present are skipped quickly.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(libdnnl2 libopenblas0-pthread libhdf5-103-1 libzmq5 fonts-dejavu-core bubblewrap
          # notebook sessions: Jupyter Notebook 6, its Python kernel, and what its notebooks use (get/put through BioBlend)
          python3-notebook python3-ipykernel python3-bioblend python3-numpy python3-h5py)
# npm builds the web pages' packages (web/package-lock.json); Debian's nodejs and npm where none is installed.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium python3-numpy python3-nibabel python3-h5py python3-pil python3-onnx python3-opencv python3-torch libonnx-testdata
             python3-pytest python3-pytest-xdist python3-requests python3-bioblend
             jupyter-client jupyter-nbconvert python3-jupyter-client python3-nbclient python3-nbformat python3-ipykernel
             python3-zmq python3-jupyter-kernel-test python3-pydicom slurm-wlm munge afl++
             # several servers over one database: the server's tests run on PostgreSQL too
             postgresql-15)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (dotnet on PATH) and was not found" >&2
  exit 1
fi
(cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
dotnet restore "$root/Ganymede.sln" --nologo -v quiet
# SharpFuzz's instrumenter, for bench/fuzz.sh (dotnet-tools.json)
(cd "$root" && dotnet tool restore >/dev/null)
