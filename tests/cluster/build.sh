#!/usr/bin/env bash
# Build the control plane binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# etcd, kwok) into the cache unless a matching set is already there, and print their directories.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_binaries
echo "KUBE_BIN=$KUBE_BIN"
echo "ETCD_BIN=$ETCD_BIN"
echo "KWOK_BIN=$KWOK_BIN"
