#!/usr/bin/env bash
# Start the local test control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
# kwok with one fake node), or reuse it when it already runs. Components that died are restarted with
# the same ports and data. Progress goes to stderr, and the last line of stdout is KUBECONFIG=<path>.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

START_TIMEOUT="${AIGATEWAY_CLUSTER_TIMEOUT:-180}"
NODE_NAME="kwok-node-0"
SERVICE_CIDR="10.96.0.0/16"
POD_CIDR="10.244.0.1/16"

# Controllers for rollouts (deployment, replicaset, statefulset, daemonset, job), namespace deletion,
# garbage collection, the default ServiceAccount and kube-root-ca.crt, the aggregated admin, edit
# and view ClusterRoles, Service endpoints, PodDisruptionBudgets, quotas, PVC binding and node
# lifecycle. The node-lifecycle controller removes the not-ready taint that the
# TaintNodesByCondition admission plugin puts on every new Node.
KCM_CONTROLLERS="deployment-controller,replicaset-controller,statefulset-controller,daemonset-controller"
KCM_CONTROLLERS+=",job-controller,cronjob-controller,ttl-after-finished-controller"
KCM_CONTROLLERS+=",namespace-controller,garbage-collector-controller,pod-garbage-collector-controller"
KCM_CONTROLLERS+=",serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller"
KCM_CONTROLLERS+=",clusterrole-aggregation-controller,resourcequota-controller,disruption-controller"
KCM_CONTROLLERS+=",endpoints-controller,endpointslice-controller,endpointslice-mirroring-controller,service-cidr-controller"
KCM_CONTROLLERS+=",node-lifecycle-controller,taint-eviction-controller"
KCM_CONTROLLERS+=",persistentvolume-binder-controller,persistentvolume-protection-controller,persistentvolumeclaim-protection-controller"

PKI="$STATE_DIR/pki"
RUN="$STATE_DIR/run"
LOGS="$STATE_DIR/logs"

# ---- state: ports, certificates, tokens, kubeconfigs ----

init_ports() {
    [[ -f "$STATE_DIR/ports.env" ]] && return 0
    # Bind all sockets at once so the ports differ, then release them for the components.
    python3 - >"$STATE_DIR/ports.env.tmp" <<'EOF'
import socket
names = ["ETCD_CLIENT_PORT", "ETCD_PEER_PORT", "APISERVER_PORT", "CONTROLLER_MANAGER_PORT",
         "SCHEDULER_PORT", "KWOK_PORT"]
sockets = []
for name in names:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
    print(f"{name}={s.getsockname()[1]}")
for s in sockets:
    s.close()
EOF
    mv "$STATE_DIR/ports.env.tmp" "$STATE_DIR/ports.env"
}

init_pki() {
    [[ -f "$PKI/apiserver.crt" ]] && return 0
    mkdir -p "$PKI"
    (
        cd "$PKI"
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
            -keyout ca.key -out ca.crt -subj "/CN=aigateway-test-ca" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -addext "subjectKeyIdentifier=hash" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -sha256 -keyout apiserver.key -out apiserver.csr \
            -subj "/CN=kube-apiserver" 2>/dev/null
        cat >apiserver.ext <<'EOF'
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1
EOF
        openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
            -extfile apiserver.ext -out apiserver.crt 2>/dev/null
        openssl genrsa -out service-account.key 2048 2>/dev/null
        openssl rsa -in service-account.key -pubout -out service-account.pub 2>/dev/null
        chmod 644 ca.crt apiserver.crt service-account.pub
    ) || die "creating certificates in $PKI failed (is openssl installed?)"
}

# tokens.csv is kube-apiserver's --token-auth-file: token,user,uid,"groups".
init_tokens() {
    [[ -f "$STATE_DIR/tokens.csv" ]] && return 0
    local user groups
    (
        umask 077
        while read -r user groups; do
            printf '%s,%s,%s,"%s"\n' "$(openssl rand -hex 24)" "$user" "$user" "$groups"
        done >"$STATE_DIR/tokens.csv.tmp" <<'EOF'
ansible system:masters
cluster-setup system:masters
kwok system:masters
system:kube-controller-manager
system:kube-scheduler
EOF
    )
    mv "$STATE_DIR/tokens.csv.tmp" "$STATE_DIR/tokens.csv"
}

token_for() {
    awk -F, -v user="$1" '$2 == user { print $1 }' "$STATE_DIR/tokens.csv"
}

write_kubeconfig() {
    local file="$1" user="$2"
    (
        umask 077
        cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: aigateway-test
    cluster:
      server: https://127.0.0.1:$APISERVER_PORT
      certificate-authority: $PKI/ca.crt
users:
  - name: $user
    user:
      token: $(token_for "$user")
contexts:
  - name: aigateway-test
    context:
      cluster: aigateway-test
      user: $user
current-context: aigateway-test
EOF
    )
    mv "$file.tmp" "$file"
}

init_configs() {
    write_kubeconfig "$STATE_DIR/kubeconfig" ansible
    write_kubeconfig "$STATE_DIR/cluster-setup.kubeconfig" cluster-setup
    write_kubeconfig "$STATE_DIR/kwok.kubeconfig" kwok
    write_kubeconfig "$STATE_DIR/controller-manager.kubeconfig" system:kube-controller-manager
    write_kubeconfig "$STATE_DIR/scheduler.kubeconfig" system:kube-scheduler

    (
        umask 077
        cat >"$STATE_DIR/k8s-auth.env.tmp" <<EOF
K8S_AUTH_HOST=https://127.0.0.1:$APISERVER_PORT
K8S_AUTH_API_KEY=$(token_for ansible)
K8S_AUTH_SSL_CA_CERT=$PKI/ca.crt
EOF
    )
    mv "$STATE_DIR/k8s-auth.env.tmp" "$STATE_DIR/k8s-auth.env"

    cp "$CLUSTER_SRC_DIR/audit-policy.yaml" "$STATE_DIR/audit-policy.yaml"
    cp "$KWOK_BIN/kwok-stages.yaml" "$STATE_DIR/kwok.yaml"

    # Stable paths to this cluster's kubectl for tests and people.
    mkdir -p "$STATE_DIR/bin"
    ln -sfn "$KUBE_BIN/kubectl" "$STATE_DIR/bin/kubectl"
}

# ---- processes ----

# Print the pid of a running component started from this state dir, or fail. The command line check
# guards against a recycled pid; the state check treats a zombie as dead.
component_pid() {
    local pidfile="$RUN/$1.pid" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(<"$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$STATE_DIR/" || return 1
    [[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != "Z" ]] || return 1
    echo "$pid"
}

# Start command "$@" as component $1 in its own session, so that it outlives this script and a
# Ctrl-C in the calling terminal. It writes its own pid before exec, which stays valid after exec.
# The state lock's file descriptor is closed for it, or the component would hold the lock forever.
start_process() {
    local name="$1" pidfile="$RUN/$1.pid" log="$LOGS/$1.log"
    shift
    rm -f "$pidfile"
    printf '==== %s starting %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$log"
    # shellcheck disable=SC2016  # $$ and $@ belong to the inner bash
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 {state_lock}>&- &
    for _ in $(seq 50); do
        [[ -s "$pidfile" ]] && return 0
        sleep 0.1
    done
    die "$name did not start; see $log"
}

# Set COMMAND to the command line of component $1.
set_component_command() {
    case "$1" in
    etcd)
        COMMAND=("$ETCD_BIN/etcd"
            --name=aigateway-test
            --data-dir="$STATE_DIR/etcd-data"
            --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT"
            --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT"
            --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT"
            --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT"
            --initial-cluster="aigateway-test=http://127.0.0.1:$ETCD_PEER_PORT"
            --unsafe-no-fsync=true
            --log-level=warn
        )
        ;;
    kube-apiserver)
        # --kubelet-preferred-address-types=InternalIP makes calls to the node (kubectl logs, exec)
        # go to kwok on 127.0.0.1; the default tries the node's Hostname first, through DNS.
        # shellcheck disable=SC2054  # the commas belong to flag values
        COMMAND=("$KUBE_BIN/kube-apiserver"
            --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT"
            --bind-address=127.0.0.1
            --secure-port="$APISERVER_PORT"
            --advertise-address=127.0.0.1
            --endpoint-reconciler-type=none
            --cert-dir="$PKI"
            --tls-cert-file="$PKI/apiserver.crt"
            --tls-private-key-file="$PKI/apiserver.key"
            --client-ca-file="$PKI/ca.crt"
            --token-auth-file="$STATE_DIR/tokens.csv"
            --authorization-mode=Node,RBAC
            --allow-privileged=true
            --kubelet-preferred-address-types=InternalIP
            --service-cluster-ip-range="$SERVICE_CIDR"
            --service-account-issuer=https://kubernetes.default.svc.cluster.local
            --service-account-key-file="$PKI/service-account.pub"
            --service-account-signing-key-file="$PKI/service-account.key"
            --audit-policy-file="$STATE_DIR/audit-policy.yaml"
            --audit-log-path="$STATE_DIR/audit.log"
            --audit-log-format=json
            --audit-log-maxsize=1024
            --shutdown-send-retry-after=true
        )
        ;;
    kube-controller-manager)
        # The long node monitor grace period keeps the node Ready while a test stops the API server
        # for less than 5 minutes, because kwok cannot renew the node lease in that time.
        COMMAND=("$KUBE_BIN/kube-controller-manager"
            --kubeconfig="$STATE_DIR/controller-manager.kubeconfig"
            --bind-address=127.0.0.1
            --secure-port="$CONTROLLER_MANAGER_PORT"
            --leader-elect=false
            --use-service-account-credentials=true
            --service-account-private-key-file="$PKI/service-account.key"
            --root-ca-file="$PKI/ca.crt"
            --node-monitor-grace-period=5m
            --service-cluster-ip-range="$SERVICE_CIDR"
            --controllers="$KCM_CONTROLLERS"
        )
        ;;
    kube-scheduler)
        COMMAND=("$KUBE_BIN/kube-scheduler"
            --kubeconfig="$STATE_DIR/scheduler.kubeconfig"
            --bind-address=127.0.0.1
            --secure-port="$SCHEDULER_PORT"
            --leader-elect=false
        )
        ;;
    kwok)
        # --node-ip and --node-port keep the node's kubelet address on loopback, so that API server
        # calls such as kubectl logs reach kwok's own server and nothing outside this machine.
        # --node-lease-duration-seconds makes kwok renew a node Lease, as a kubelet does. The
        # heartbeat stage updates the node status only every 10 to 20 minutes, so without a Lease the
        # node lifecycle controller marks the node Unknown and taints it for a moment every 5 minutes.
        # A rollout that started at such a moment waited about 4 minutes for its pod to become Ready.
        COMMAND=("$KWOK_BIN/kwok"
            --config="$STATE_DIR/kwok.yaml"
            --kubeconfig="$STATE_DIR/kwok.kubeconfig"
            --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake
            --server-address="127.0.0.1:$KWOK_PORT"
            --node-ip=127.0.0.1
            --node-port="$KWOK_PORT"
            --cidr="$POD_CIDR"
            --node-lease-duration-seconds=40
        )
        ;;
    esac
}

# Return 0 when component $1 passes its health check.
component_healthy() {
    case "$1" in
    etcd)
        curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health" 2>/dev/null | grep -q '"health":"true"'
        ;;
    kube-apiserver)
        setup_kubectl get --raw /readyz >/dev/null 2>&1
        ;;
    kube-controller-manager)
        curl -fsSk --max-time 2 "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz" >/dev/null 2>&1
        ;;
    kube-scheduler)
        curl -fsSk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz" >/dev/null 2>&1
        ;;
    kwok)
        curl -fsS --max-time 2 "http://127.0.0.1:$KWOK_PORT/healthz" >/dev/null 2>&1
        ;;
    esac
}

setup_kubectl() {
    "$KUBE_BIN/kubectl" --kubeconfig="$STATE_DIR/cluster-setup.kubeconfig" --request-timeout=5s "$@"
}

ensure_started() {
    local name="$1"
    if component_pid "$name" >/dev/null; then
        return 0
    fi
    set_component_command "$name"
    log "starting $name (log: $LOGS/$name.log)"
    start_process "$name" "${COMMAND[@]}"
}

# Run "$@" until it succeeds. Fail early if component $2 exits, and after START_TIMEOUT seconds.
wait_for() {
    local description="$1" component="$2" start=$SECONDS deadline=$((SECONDS + START_TIMEOUT))
    shift 2
    until "$@"; do
        if ! component_pid "$component" >/dev/null; then
            tail -n 20 "$LOGS/$component.log" >&2 || true
            die "$component exited while waiting for $description; full log: $LOGS/$component.log"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 20 "$LOGS/$component.log" >&2 || true
            die "timed out after ${START_TIMEOUT}s waiting for $description; see $LOGS/$component.log (AIGATEWAY_CLUSTER_TIMEOUT sets the limit)"
        fi
        sleep 0.5
    done
    if ((SECONDS - start > 5)); then
        log "waited $((SECONDS - start))s for $description"
    fi
}

ensure_component() {
    ensure_started "$1"
    wait_for "$1 to become healthy" "$1" component_healthy "$1"
}

# ---- cluster objects ----

ensure_node() {
    setup_kubectl get node "$NODE_NAME" >/dev/null 2>&1 && return 0
    log "creating fake node $NODE_NAME"
    # Capacity is sized for a few tens of pods with requests. Nothing runs, so it costs nothing.
    setup_kubectl create -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
spec: {}
status:
  addresses:
    - type: InternalIP
      address: 127.0.0.1
    - type: Hostname
      address: $NODE_NAME
  daemonEndpoints:
    kubeletEndpoint:
      Port: $KWOK_PORT
  capacity:
    cpu: "64"
    memory: 256Gi
    pods: "250"
    ephemeral-storage: 1Ti
  allocatable:
    cpu: "64"
    memory: 256Gi
    pods: "250"
    ephemeral-storage: 1Ti
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: $(required_version "$CLUSTER_SRC_DIR/kube" k8s.io/kubernetes)
EOF
}

default_service_account_exists() {
    setup_kubectl -n default get serviceaccount default >/dev/null 2>&1
}

# While the fake node was down (components stopped, machine rebooted), the node-lifecycle controller
# marked its pods not ready: Ready=False beside ContainersReady=True. A kubelet would report them
# ready again, but kwok only readies pending pods, so delete those pods and let their controllers
# create new ones. A pod that is not ready for another reason keeps ContainersReady=False or stays
# Pending, and is left alone.
replace_pods_marked_not_ready() {
    local pods
    pods="$(setup_kubectl get pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" -o json |
        python3 -c '
import json, sys
for pod in json.load(sys.stdin)["items"]:
    conditions = {item["type"]: item["status"] for item in pod["status"].get("conditions", [])}
    if pod["status"].get("phase") == "Running" and conditions.get("Ready") == "False" \
            and conditions.get("ContainersReady") == "True":
        print(pod["metadata"]["namespace"], pod["metadata"]["name"])
')" || die "could not list the pods on node $NODE_NAME"
    local namespace name
    while read -r namespace name; do
        [[ -n "$name" ]] || continue
        log "replacing pod $namespace/$name, which was marked not ready while the node was down"
        setup_kubectl -n "$namespace" delete pod "$name" --wait=false >/dev/null
    done <<<"$pods"
}

# Ready, and with no taints left, so that pods without tolerations schedule.
node_schedulable() {
    local state
    state="$(setup_kubectl get node "$NODE_NAME" \
        -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}/{.spec.taints}' 2>/dev/null)" || return 1
    [[ "$state" == "True/" ]]
}

main() {
    # k8s-auth.env is written without shell quoting.
    [[ "$STATE_DIR" != *" "* ]] || die "the state dir path must not contain spaces: $STATE_DIR"
    command -v openssl >/dev/null || die "openssl not found: install it (Debian package openssl)"
    command -v curl >/dev/null || die "curl not found: install it (Debian package curl)"
    command -v python3 >/dev/null || die "python3 not found"

    ensure_binaries

    mkdir -p "$STATE_DIR" "$RUN" "$LOGS"
    touch "$STATE_DIR/.aigateway-cluster"
    exec {state_lock}>"$STATE_DIR/.lock"
    flock -w "$((START_TIMEOUT * 3))" "$state_lock" ||
        die "another up.sh or down.sh has held $STATE_DIR/.lock for $((START_TIMEOUT * 3))s"

    local start=$SECONDS
    init_ports
    # shellcheck source=/dev/null
    source "$STATE_DIR/ports.env"
    init_pki
    init_tokens
    init_configs

    ensure_component etcd
    ensure_component kube-apiserver
    local name
    for name in kube-controller-manager kube-scheduler kwok; do
        ensure_started "$name"
    done
    for name in kube-controller-manager kube-scheduler kwok; do
        ensure_component "$name"
    done

    ensure_node
    wait_for "the default ServiceAccount in namespace default" kube-controller-manager default_service_account_exists
    wait_for "node $NODE_NAME to be Ready without taints" kwok node_schedulable
    replace_pods_marked_not_ready

    log "cluster ready in $((SECONDS - start))s (state: $STATE_DIR)"
    echo "KUBECONFIG=$STATE_DIR/kubeconfig"
}

main "$@"
