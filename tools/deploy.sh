#!/usr/bin/env bash
# The main job: run site.yml against the cluster the user named, or render the manifests when none
# is named, so this command never changes a cluster the user did not choose.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${AIGATEWAY_VENV:-$repo/.venv}
cd "$repo"

if [ -n "${KUBECONFIG:-}" ] || [ -n "${K8S_AUTH_HOST:-}" ]; then
    echo "deploy: applying to the cluster named by ${K8S_AUTH_HOST:+K8S_AUTH_HOST}${K8S_AUTH_HOST:-KUBECONFIG}"
    exec "$venv/bin/ansible-playbook" site.yml "$@"
fi

echo "deploy: neither KUBECONFIG nor K8S_AUTH_HOST is set; rendering the manifests into ./render instead"
exec "$venv/bin/ansible-playbook" site.yml -e aigateway_mode=render -e aigateway_render_dir="$repo/render" "$@"
