#!/usr/bin/env bash
# Stop every component that up.sh started from this state dir and delete the state dir (etcd data,
# certificates, tokens, logs, audit log), so that the next up.sh starts an empty cluster. The built
# binaries in the cache are kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STOP_TIMEOUT=15

# Print the pids of the components started from this state dir: processes of the binaries that up.sh
# runs whose arguments contain a path inside the state dir. This also finds a component whose pid
# file is gone, and leaves alone a shell or editor that happens to be open in the state dir.
state_dir_pids() {
    local proc cmdline program
    for proc in /proc/[0-9]*; do
        cmdline="$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null)" || continue
        [[ "$cmdline" == *"$STATE_DIR/"* ]] || continue
        program="${cmdline%% *}"
        case "${program##*/}" in
        etcd | kube-apiserver | kube-controller-manager | kube-scheduler | kwok)
            echo "${proc#/proc/}"
            ;;
        esac
    done
}

main() {
    if [[ ! -d "$STATE_DIR" ]]; then
        log "nothing to stop: $STATE_DIR does not exist"
        return 0
    fi
    [[ -f "$STATE_DIR/.aigateway-cluster" ]] ||
        die "$STATE_DIR has no .aigateway-cluster marker, so it was not made by up.sh; not deleting it"
    # Wait for an up.sh that is still starting components on this state dir, but not forever: the
    # lock may be held by a component that an older up.sh started without closing the lock file.
    exec {state_lock}>"$STATE_DIR/.lock"
    flock -w 60 "$state_lock" || log "WARNING: $STATE_DIR/.lock still held after 60s; stopping anyway"

    local pids
    pids="$(state_dir_pids)"
    if [[ -n "$pids" ]]; then
        log "stopping pids ${pids//$'\n'/ }"
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null || true
        local deadline=$((SECONDS + STOP_TIMEOUT)) pid alive
        while ((SECONDS < deadline)); do
            alive=""
            for pid in $pids; do
                [[ -d "/proc/$pid" && "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != "Z" ]] && alive+=" $pid"
            done
            [[ -z "$alive" ]] && break
            sleep 0.2
        done
        if [[ -n "$alive" ]]; then
            log "killing pids$alive, still running after ${STOP_TIMEOUT}s"
            # shellcheck disable=SC2086
            kill -KILL $alive 2>/dev/null || true
        fi
    fi

    rm -rf "$STATE_DIR"
    log "stopped the cluster and deleted $STATE_DIR"
}

main "$@"
