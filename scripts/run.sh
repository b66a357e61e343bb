#!/usr/bin/env bash
# Sets up and runs Ganymede's main job: the server (Galaxy's API for BioBlend, SQLite, local job runner) on
# http://127.0.0.1:8080 with its data in ./ganymede-data, and the web pages there. The first start creates an admin
# user; its API key and its password for the web pages are printed and kept in ganymede-data/admin-api-key and
# ganymede-data/admin-password. Any ganymede command line can be given instead, e.g.
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
if [ ! -f "$data/admin-password" ]; then
  password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  echo "$password" | "$root/ganymede" users password --email admin@localhost --data-dir "$data" >/dev/null
  (umask 077; echo "$password" > "$data/admin-password")
fi
echo "API key of admin@localhost: $(cat "$data/admin-api-key")"
echo "web sign-in on $url: admin@localhost, password $(cat "$data/admin-password")"
exec "$root/ganymede" serve --urls "$url" --data-dir "$data"
