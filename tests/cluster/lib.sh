# Shared settings and helpers for build.sh, up.sh and down.sh. Source it, do not run it.
# shellcheck shell=bash

CLUSTER_SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CLUSTER_SRC_DIR/../.." && pwd)"

CACHE_ROOT="${AIGATEWAY_CACHE_DIR:-$HOME/.cache/aigateway-litellm}"
BIN_ROOT="$CACHE_ROOT/cluster/bin"
STATE_DIR="${AIGATEWAY_CLUSTER_DIR:-$REPO_ROOT/.cluster}"
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
STATE_DIR="${STATE_DIR%/}"

# Bump when the build recipe below changes in a way that go.mod and go.sum do not show.
BUILD_RECIPE=1

# Build flags used by the Kubernetes release scripts (hack/lib/golang.sh in v1.34) for non-debug builds.
KUBE_BUILD_TAGS="selinux,notest,grpcnotrace"

log() {
    printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
    log "ERROR: $*"
    exit 1
}

find_go() {
    if [[ -n "${GO:-}" ]]; then
        echo "$GO"
    elif command -v go >/dev/null 2>&1; then
        command -v go
    elif [[ -x /usr/local/go/bin/go ]]; then
        echo /usr/local/go/bin/go
    else
        die "go not found: install Go 1.26 or set GO=/path/to/go"
    fi
}

# Print the Go toolchain version without running go, so that a cache hit never starts the toolchain.
go_toolchain_id() {
    local go_bin goroot
    go_bin="$(readlink -f "$(find_go)")"
    goroot="${GOROOT:-$(dirname "$(dirname "$go_bin")")}"
    if [[ -f "$goroot/VERSION" ]]; then
        head -n 1 "$goroot/VERSION"
    else
        # Some distribution packages have no VERSION file, so ask go instead.
        "$go_bin" env GOVERSION
    fi
}

# Print the version that the wrapper module in directory $1 requires for module $2.
required_version() {
    awk -v mod="$2" '$1 == mod && $2 ~ /^v/ { print $2; exit }
                     $1 == "require" && $2 == mod { print $3; exit }' "$1/go.mod"
}

# Print the cache key for a wrapper module: name, main version and a hash of everything that changes
# the binaries (go.mod, go.sum, build flags, toolchain, platform, environment that go reads).
cache_key() {
    local name="$1" version="$2" flags="$3" dir="$CLUSTER_SRC_DIR/$1" digest
    digest="$(
        {
            echo "recipe=$BUILD_RECIPE"
            echo "flags=$flags"
            declare -f "post_build_$name" || true
            echo "go=$(go_toolchain_id)"
            echo "platform=$(uname -s)/$(uname -m)"
            echo "GOFLAGS=${GOFLAGS:-} GOEXPERIMENT=${GOEXPERIMENT:-} GOAMD64=${GOAMD64:-}"
            cat "$dir/go.mod" "$dir/go.sum"
        } | sha256sum | cut -c1-12
    )"
    echo "$name-$version-$digest"
}

# Build the wrapper module $1 unless a complete binary set for its key is cached. Arguments after
# "--" are the packages; a package written as NAME=PACKAGE is written to the binary NAME.
# Prints the binary directory on stdout.
ensure_module_binaries() {
    local name="$1" version="$2" tags="$3" ldflags="$4"
    shift 4
    [[ "$1" == "--" ]] && shift

    local key bin_dir
    key="$(cache_key "$name" "$version" "tags=$tags ldflags=$ldflags packages=$*")"
    bin_dir="$BIN_ROOT/$key"

    local spec binaries=()
    for spec in "$@"; do
        if [[ "$spec" == *=* ]]; then
            binaries+=("${spec%%=*}")
        else
            binaries+=("${spec##*/}")
        fi
    done

    if binaries_present "$bin_dir" "${binaries[@]}"; then
        echo "$bin_dir"
        return 0
    fi

    mkdir -p "$BIN_ROOT"
    # One build per cache at a time: a second caller waits, then finds the finished set.
    exec {build_lock}>"$BIN_ROOT/.build.lock"
    flock "$build_lock"
    if binaries_present "$bin_dir" "${binaries[@]}"; then
        exec {build_lock}>&-
        echo "$bin_dir"
        return 0
    fi

    local go_bin tmp_dir start elapsed
    go_bin="$(find_go)"
    tmp_dir="$(mktemp -d "$BIN_ROOT/.partial-$key.XXXXXX")"
    chmod 755 "$tmp_dir"
    start=$(date +%s)
    log "building $name $version into $bin_dir (cold builds take minutes, see tests/cluster/README.md)"

    # Packages that need their own output name are built one at a time; the rest share one
    # go build so that common packages compile once.
    local plain=() named=()
    for spec in "$@"; do
        if [[ "$spec" == *=* ]]; then named+=("$spec"); else plain+=("$spec"); fi
    done
    local go_env=(env CGO_ENABLED=0 GOWORK=off)
    local go_flags=(-trimpath -tags "$tags" -ldflags "$ldflags")
    if ((${#plain[@]})); then
        (cd "$CLUSTER_SRC_DIR/$name" && "${go_env[@]}" "$go_bin" build "${go_flags[@]}" -o "$tmp_dir/" "${plain[@]}") ||
            { rm -rf "$tmp_dir"; die "go build failed for $name $version (module $CLUSTER_SRC_DIR/$name)"; }
    fi
    for spec in "${named[@]}"; do
        (cd "$CLUSTER_SRC_DIR/$name" && "${go_env[@]}" "$go_bin" build "${go_flags[@]}" -o "$tmp_dir/${spec%%=*}" "${spec#*=}") ||
            { rm -rf "$tmp_dir"; die "go build failed for ${spec#*=} (module $CLUSTER_SRC_DIR/$name)"; }
    done

    if declare -F "post_build_$name" >/dev/null; then
        (cd "$CLUSTER_SRC_DIR/$name" && "post_build_$name" "$tmp_dir" "$go_bin") ||
            { rm -rf "$tmp_dir"; die "post-build step failed for $name $version"; }
    fi

    elapsed=$(($(date +%s) - start))
    {
        echo "module=$name version=$version"
        echo "go=$(go_toolchain_id)"
        echo "build_seconds=$elapsed"
        echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"$tmp_dir/build-info.txt"
    rm -rf "$bin_dir"
    mv "$tmp_dir" "$bin_dir"
    exec {build_lock}>&-
    log "built $name $version in ${elapsed}s"
    echo "$bin_dir"
}

# A binary directory is complete when build-info.txt is there, because the build writes it last
# and then moves the whole directory into place.
binaries_present() {
    local dir="$1" binary
    shift
    [[ -f "$dir/build-info.txt" ]] || return 1
    for binary in "$@"; do
        [[ -x "$dir/$binary" ]] || return 1
    done
}

# The kwok binary has no built-in stages (v0.8.0 exits with "no stages found"), so store next to it
# the default stages that kwok's module ships and kwokctl loads: node initialisation, node heartbeat
# with a lease, and pod ready, complete and delete. Runs in the kwok wrapper module directory.
post_build_kwok() {
    local out_dir="$1" go_bin="$2" module_dir stage
    module_dir="$(GOWORK=off "$go_bin" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
    [[ -d "$module_dir/kustomize/stage" ]] || die "kwok module source not found at $module_dir"
    for stage in \
        node/fast/node-initialize.yaml \
        node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
        pod/fast/pod-ready.yaml \
        pod/fast/pod-complete.yaml \
        pod/fast/pod-delete.yaml; do
        echo "---"
        cat "$module_dir/kustomize/stage/$stage"
    done >"$out_dir/kwok-stages.yaml"
}

# Set KUBE_BIN, ETCD_BIN and KWOK_BIN to directories holding the built binaries, building what is
# missing from the cache. They are not exported: etcd warns about every ETCD_* environment variable.
# shellcheck disable=SC2034  # the variables are read by the scripts that source this file
ensure_binaries() {
    local kube_version kube_major kube_minor etcd_version kwok_version kube_ldflags
    kube_version="$(required_version "$CLUSTER_SRC_DIR/kube" k8s.io/kubernetes)"
    etcd_version="$(required_version "$CLUSTER_SRC_DIR/etcd" go.etcd.io/etcd/server/v3)"
    kwok_version="$(required_version "$CLUSTER_SRC_DIR/kwok" sigs.k8s.io/kwok)"
    [[ -n "$kube_version" && -n "$etcd_version" && -n "$kwok_version" ]] ||
        die "could not read the module versions from $CLUSTER_SRC_DIR/{kube,etcd,kwok}/go.mod"

    # --version of every component and kubectl reads these variables; unset they report v0.0.0-master.
    kube_major="${kube_version#v}"
    kube_major="${kube_major%%.*}"
    kube_minor="${kube_version#v*.}"
    kube_minor="${kube_minor%%.*}"
    kube_ldflags="-s -w"
    local pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=$kube_major -X $pkg.gitMinor=$kube_minor"
    done

    KUBE_BIN="$(ensure_module_binaries kube "$kube_version" "$KUBE_BUILD_TAGS" "$kube_ldflags" -- \
        k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler \
        k8s.io/kubernetes/cmd/kubectl)" || exit 1
    ETCD_BIN="$(ensure_module_binaries etcd "$etcd_version" "" "-s -w" -- \
        etcd=go.etcd.io/etcd/server/v3)" || exit 1
    KWOK_BIN="$(ensure_module_binaries kwok "$kwok_version" "" "-s -w" -- \
        sigs.k8s.io/kwok/cmd/kwok)" || exit 1
}
