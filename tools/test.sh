#!/usr/bin/env bash
# Run the test tiers: `tools/test.sh` runs all of them, `tools/test.sh unit live` only those named.
#   lint     ansible-lint (production profile)
#   sanity   ansible-test sanity
#   unit     unit tests and module and render tests through ansible-playbook (no servers)
#   live     the real LiteLLM proxy and redis-server on 127.0.0.1
#   cluster  the local Kubernetes control plane: molecule scenario and cluster tests
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${AIGATEWAY_VENV:-$repo/.venv}
export PATH="$venv/bin:$PATH"
cd "$repo"

tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=(lint sanity unit live cluster)

run_tier() {
    local started=$SECONDS
    echo "=== $1"
    case "$1" in
        lint) ansible-lint --nocolor ;;
        sanity) tools/sanity.sh ;;
        unit) python -m pytest -q tests/unit tests/integration tests/awx ;;
        live) python -m pytest -q -m "live and not cluster" tests/live ;;
        cluster) tools/cluster_tests.sh ;;
        *) echo "test: unknown tier '$1'; use lint, sanity, unit, live or cluster" >&2; return 2 ;;
    esac
    echo "=== $1 passed in $((SECONDS - started)) s"
}

for tier in "${tiers[@]}"; do
    run_tier "$tier"
done
