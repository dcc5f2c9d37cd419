#!/usr/bin/env bash
# Check that a running test cluster behaves like a real one where the collection's tests need it.
# It covers Deployment and StatefulSet rollouts, idempotent server-side apply, PodSecurity
# enforcement, garbage collection of a Deployment's pods, namespace deletion, and an audit log that
# records only the "ansible" user. Runs as that user in the namespace cluster-smoke, which it
# deletes at the end. Start the cluster with up.sh first (same AIGATEWAY_CLUSTER_DIR).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAMESPACE=cluster-smoke
RESTRICTED_NAMESPACE=cluster-smoke-restricted
[[ -f "$STATE_DIR/kubeconfig" ]] || die "no cluster state in $STATE_DIR: run tests/cluster/up.sh first"

kubectl() {
    "$STATE_DIR/bin/kubectl" --kubeconfig="$STATE_DIR/kubeconfig" "$@"
}

passed=0
failed=0
check() {
    local description="$1"
    shift
    if "$@"; then
        log "ok: $description"
        passed=$((passed + 1))
    else
        log "FAILED: $description"
        failed=$((failed + 1))
    fi
}

resource_version() {
    kubectl -n "$NAMESPACE" get "$1" -o 'jsonpath={.metadata.resourceVersion}'
}

# Run "$@" until it succeeds, for at most $1 seconds.
eventually() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

no_pods_with_label() {
    [[ -z "$(kubectl -n "$NAMESPACE" get pods -l "$1" -o name)" ]]
}

service_has_endpoints() {
    local addresses
    addresses="$(kubectl -n "$NAMESPACE" get endpointslices -l "kubernetes.io/service-name=$1" \
        -o 'jsonpath={.items[*].endpoints[*].addresses[0]}')"
    [[ "$(wc -w <<<"$addresses")" -eq "$2" ]]
}

namespace_gone() {
    ! kubectl get namespace "$1" >/dev/null 2>&1
}

apply_workloads() {
    kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: $NAMESPACE
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.invalid/web:1
          resources:
            requests: {cpu: 500m, memory: 512Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: $NAMESPACE
spec:
  clusterIP: None
  selector: {app: db}
  ports:
    - port: 6379
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: $NAMESPACE
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: registry.invalid/db:1
          resources:
            requests: {cpu: 250m, memory: 256Mi}
EOF
}

config_map() {
    cat <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: $NAMESPACE
data:
  key: value
EOF
}

server_side_apply_is_idempotent() {
    config_map | kubectl apply --server-side --field-manager=smoke -f - >/dev/null
    local before after
    before="$(resource_version configmap/settings)"
    config_map | kubectl apply --server-side --field-manager=smoke -f - >/dev/null
    after="$(resource_version configmap/settings)"
    [[ -n "$before" && "$before" == "$after" ]]
}

privileged_pod_rejected() {
    local output
    if output="$(kubectl apply -f - 2>&1 <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $RESTRICTED_NAMESPACE
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: v1
kind: Pod
metadata:
  name: privileged
  namespace: $RESTRICTED_NAMESPACE
spec:
  containers:
    - name: main
      image: registry.invalid/web:1
      securityContext:
        privileged: true
EOF
    )"; then
        return 1
    fi
    [[ "$output" == *'violates PodSecurity "restricted'* ]]
}

audit_users_only_ansible() {
    local users
    users="$(python3 -c '
import json, sys
print(" ".join(sorted({json.loads(line)["user"]["username"] for line in open(sys.argv[1]) if line.strip()})))
' "$STATE_DIR/audit.log")"
    [[ "$users" == "ansible" ]]
}

main() {
    apply_workloads
    check "Deployment rollout completes" kubectl -n "$NAMESPACE" rollout status deployment/web --timeout=60s
    check "Deployment has 2 ready replicas" \
        test "$(kubectl -n "$NAMESPACE" get deployment web -o 'jsonpath={.status.readyReplicas}')" = 2
    check "StatefulSet rollout completes" kubectl -n "$NAMESPACE" rollout status statefulset/db --timeout=60s
    check "headless Service gets an EndpointSlice with 2 addresses" eventually 30 service_has_endpoints db 2
    check "server-side apply twice keeps resourceVersion" server_side_apply_is_idempotent
    check "restricted namespace rejects a privileged pod" privileged_pod_rejected

    kubectl -n "$NAMESPACE" delete deployment web --wait=false >/dev/null
    check "deleting the Deployment removes its pods" eventually 60 no_pods_with_label app=web

    kubectl delete namespace "$NAMESPACE" "$RESTRICTED_NAMESPACE" --wait=false >/dev/null
    check "namespaces with pods are deleted" eventually 120 namespace_gone "$NAMESPACE"
    check "audit log records only the ansible user" audit_users_only_ansible

    echo "$passed passed, $failed failed"
    ((failed == 0))
}

main "$@"
