#!/usr/bin/env bash
# The cluster tier: start (or reuse) the local control plane, run the tests that need it, stop it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

kubeconfig_line=$(tests/cluster/up.sh | tail -n 1)
export "${kubeconfig_line?}"
trap 'tests/cluster/down.sh' EXIT

python -m pytest -q -m "live and cluster" tests/live
