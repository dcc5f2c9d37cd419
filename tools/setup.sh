#!/usr/bin/env bash
# Prepare this checkout: Debian packages the tests start (redis-server), the pinned Python packages
# in .venv, and the .collections link that lets playbooks load aigateway.litellm from the checkout.
# Safe to run again; each step is skipped when it is already done.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${AIGATEWAY_VENV:-$repo/.venv}
python=${AIGATEWAY_PYTHON:-python3.11}

install_debian_packages() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v openssl >/dev/null || missing+=(openssl)
    command -v ip >/dev/null || missing+=(iproute2)
    [ ${#missing[@]} -eq 0 ] && return 0

    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages: ${missing[*]}; install them (apt-get install ${missing[*]}) and rerun" >&2
        exit 1
    fi
    echo "setup: installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get -qq update
    DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
    # The package starts a system-wide redis-server; the tests start their own on free ports.
    if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
        systemctl stop redis-server || true
    fi
}

install_python_packages() {
    local stamp="$venv/.requirements.sha256"
    local wanted
    wanted=$(sha256sum "$repo/requirements.txt" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        echo "setup: creating $venv with $python"
        "$python" -m venv "$venv"
    fi
    echo "setup: installing the pinned Python packages (requirements.txt)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$repo/requirements.txt"
    echo "$wanted" > "$stamp"
}

link_collection() {
    local parent="$repo/.collections/ansible_collections/aigateway"
    mkdir -p "$parent"
    if [ "$(readlink "$parent/litellm" 2>/dev/null)" != "$repo" ]; then
        ln -sfn "$repo" "$parent/litellm"
    fi
}

install_debian_packages
install_python_packages
link_collection
