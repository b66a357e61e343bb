#!/usr/bin/env bash
# Sets up and runs Ganymede's main job. Until the server lands, that is the UNet training benchmark on
# this machine; any ganymede command line can be given instead (e.g. scripts/run.sh bench --mode infer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
if [ $# -eq 0 ]; then set -- bench --mode train --size 128 --batch 8 --base 16; fi
exec "$root/ganymede" "$@"
