#!/usr/bin/env bash
# Sets up and runs Ganymede's main job: the server (Galaxy's API for BioBlend, SQLite, local job runner) on
# http://127.0.0.1:8080 with its data in ./ganymede-data. The first start creates an admin user and prints its
# API key (kept in ganymede-data/admin-api-key). Any ganymede command line can be given instead, e.g.
# scripts/run.sh bench --mode train --size 128.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
if [ $# -gt 0 ]; then exec "$root/ganymede" "$@"; fi

data="${GANYMEDE_DATA:-$root/ganymede-data}"
url="${GANYMEDE_LISTEN:-http://127.0.0.1:8080}"
if [ ! -f "$data/admin-api-key" ]; then
  mkdir -p "$data"
  key=$("$root/ganymede" users create --email admin@localhost --admin --data-dir "$data" | tail -1)
  (umask 077; echo "$key" > "$data/admin-api-key")
fi
echo "API key of admin@localhost: $(cat "$data/admin-api-key")"
exec "$root/ganymede" serve --urls "$url" --data-dir "$data"
