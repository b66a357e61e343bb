#!/usr/bin/env bash
# Executes the example notebooks (examples/covid-ct) at their demonstration size, against a server started on
# loopback for notebooks 5 and 6, and writes them back with their outputs, as they are committed. Needs the shared
# slices (GANYMEDE_EXAMPLE_DATA, default ../shared/data/covid-semiseg) and the test peers (scripts/setup.sh --test).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" --test
data="$(cd "${GANYMEDE_EXAMPLE_DATA:-$root/../shared/data/covid-semiseg}" && pwd)"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$root"/examples/covid-ct/*.ipynb "$work/"
"$root/ganymede" kernel install --prefix "$work/kernel" >/dev/null
key=$("$root/ganymede" users create --email examples@localhost --data-dir "$work/server" | tail -1)
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$root/ganymede" serve --urls "http://127.0.0.1:$port" --data-dir "$work/server" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "http://127.0.0.1:$port/api/version" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.2
done
cd "$work"
for notebook in 1_data 2_train 3_predict 4_train_remote 5_run_remote 6_predict_remote; do
  echo "executing $notebook" >&2
  env JUPYTER_PATH="$work/kernel/share/jupyter" GANYMEDE_EXAMPLE_DATA="$data" \
    GANYMEDE_URL="http://127.0.0.1:$port" GANYMEDE_API_KEY="$key" \
    /usr/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1800 "$notebook.ipynb"
  cp "$notebook.ipynb" "$root/examples/covid-ct/$notebook.ipynb"
done
