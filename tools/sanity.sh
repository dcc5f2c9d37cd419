#!/usr/bin/env bash
# Run `ansible-test sanity` on the files git tracks in this checkout (committed or staged). ansible-test needs the collection
# at .../ansible_collections/aigateway/litellm, so the files are copied to a temporary tree first.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${AIGATEWAY_VENV:-$repo/.venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ansible-test 2.19 bootstraps pip 24.2 into each test virtualenv; see tools/ansible_test_get_pip.py.
cache="$HOME/.ansible/test/cache/get_pip_24_2.py"
if [ ! -f "$cache" ]; then
    mkdir -p "$(dirname "$cache")"
    cp "$repo/tools/ansible_test_get_pip.py" "$cache"
fi

target="$work/ansible_collections/aigateway/litellm"
mkdir -p "$target"
git -C "$repo" ls-files -z --cached | (cd "$repo" && xargs -0 cp --parents -t "$target")
# Modules extend kubernetes.core's documentation fragments; ansible-test finds collections beside this one.
core=$("$venv/bin/python" -c 'import ansible_collections.kubernetes.core as c; print(list(c.__path__)[0])')
mkdir -p "$work/ansible_collections/kubernetes"
cp -r "$core" "$work/ansible_collections/kubernetes/core"
cd "$target"
git init -q && git add -A  # ansible-test lists a collection's files through git when it is a repository

PATH="$venv/bin:$PATH" ansible-test sanity --venv --python 3.11 --color no "$@"
