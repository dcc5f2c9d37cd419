#!/usr/bin/env bash
# The main job: run site.yml in apply mode.
#   - With KUBECONFIG or K8S_AUTH_HOST set, apply to the cluster they name.
#   - With neither set, never touch a cluster the user did not name. Start the local control plane
#     instead (tests/cluster/up.sh, with its state dir in AIGATEWAY_CLUSTER_DIR or .cluster), create
#     there what a real cluster already has (tests/fixtures/prerequisites.yml), and apply to it.
# Arguments go to ansible-playbook site.yml.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${AIGATEWAY_VENV:-$repo/.venv}
cd "$repo"

if [ -n "${KUBECONFIG:-}" ] || [ -n "${K8S_AUTH_HOST:-}" ]; then
    source_name=KUBECONFIG
    [ -z "${K8S_AUTH_HOST:-}" ] || source_name=K8S_AUTH_HOST
    echo "deploy: applying to the cluster named by $source_name"
    exec "$venv/bin/ansible-playbook" site.yml "$@"
fi

echo "deploy: neither KUBECONFIG nor K8S_AUTH_HOST is set; deploying to the local control plane instead"
kubeconfig_line=$(tests/cluster/up.sh | tail -n 1)
kubeconfig=${kubeconfig_line#KUBECONFIG=}
export KUBECONFIG=$kubeconfig

echo "deploy: creating the prerequisites a real cluster would have, where missing: Secrets litellm/litellm-master-key"
echo "        (random key) and litellm/litellm-database (placeholder URL), StatefulSet open-webui/open-webui (stand-in)"
"$venv/bin/ansible-playbook" tests/fixtures/prerequisites.yml

echo "deploy: the local control plane simulates pods with kwok: they become Ready but run no container,"
echo "        so the health checks after the rollout are off (litellm_verify=none)"
status=0
"$venv/bin/ansible-playbook" site.yml -e litellm_verify=none "$@" || status=$?

echo "deploy: to inspect the local cluster:"
echo "  export KUBECONFIG=$kubeconfig"
echo "  $(dirname "$kubeconfig")/bin/kubectl get all -n litellm"
echo "deploy: make cluster-down stops it and deletes its data"
exit "$status"
