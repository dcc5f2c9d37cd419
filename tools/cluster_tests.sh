#!/usr/bin/env bash
# The cluster tier: start (or reuse) the local control plane, run the tests that need it, stop it.
#   1. pytest -m "live and cluster" tests/live    the health module through the API server
#   2. pytest -m cluster tests/kubernetes         site.yml against the control plane
#   3. pytest -m cluster tests/awx                the drift report and AWX checks
#   4. pytest -m cluster tests/security           secrets, Pod Security, bad input and faults
#   5. molecule test                              the molecule scenario, last because its destroy
#                                                 steps stop the control plane and delete its
#                                                 state dir (make cluster-down)
# Each step prints how long it took. AIGATEWAY_CLUSTER_DIR chooses the state dir (tests/cluster).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${AIGATEWAY_VENV:-$repo/.venv}
export PATH="$venv/bin:$PATH"
cd "$repo"

run_step() {
    local name=$1 started=$SECONDS status=0
    shift
    echo "--- cluster: $name"
    "$@" || status=$?
    if [ "$status" -eq 0 ]; then
        echo "--- cluster: $name passed in $((SECONDS - started)) s"
    else
        echo "--- cluster: $name failed (exit code $status) after $((SECONDS - started)) s"
    fi
    return "$status"
}

started=$SECONDS
kubeconfig_line=$(tests/cluster/up.sh | tail -n 1)
export "${kubeconfig_line?}"
trap 'tests/cluster/down.sh' EXIT
echo "--- cluster: control plane ready in $((SECONDS - started)) s"

run_step "live tests through the API server" python -m pytest -q -m "live and cluster" tests/live
run_step "site.yml against the control plane" python -m pytest -q -m cluster tests/kubernetes
run_step "drift report and AWX checks" python -m pytest -q -m cluster tests/awx
run_step "security, bad input and faults" python -m pytest -q -m cluster tests/security
run_step "molecule test" molecule test
