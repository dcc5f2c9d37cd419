"""Start the local test control plane from Python and read what it records.

Plain functions with no pytest dependency. ``ensure_cluster`` runs ``tests/cluster/up.sh``, which
builds missing binaries (minutes on a cold cache), starts or reuses the cluster and restarts
components that died.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

UP_SCRIPT = Path(__file__).resolve().parent / "up.sh"


def ensure_cluster(repo_root, timeout=None):
    """Start the cluster, or reuse it, and return how to reach it.

    Returns a dict with ``kubeconfig``, ``host``, ``token``, ``ca_cert``, ``audit_log``,
    ``state_dir`` and ``kubectl`` (absolute paths as strings, the token as text). Raises
    ``RuntimeError`` when up.sh fails; its progress and errors go to this process's stderr.
    """
    result = subprocess.run(
        [str(Path(repo_root) / "tests" / "cluster" / "up.sh")],
        cwd=repo_root,
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or not lines[-1].startswith("KUBECONFIG="):
        raise RuntimeError(
            f"tests/cluster/up.sh failed with exit code {result.returncode}; "
            f"stdout: {result.stdout!r}; the reason is in its stderr above"
        )

    kubeconfig = Path(lines[-1].split("=", 1)[1])
    state_dir = kubeconfig.parent
    auth = read_env_file(state_dir / "k8s-auth.env")
    return {
        "kubeconfig": str(kubeconfig),
        "host": auth["K8S_AUTH_HOST"],
        "token": auth["K8S_AUTH_API_KEY"],
        "ca_cert": auth["K8S_AUTH_SSL_CA_CERT"],
        "audit_log": str(state_dir / "audit.log"),
        "state_dir": str(state_dir),
        "kubectl": str(state_dir / "bin" / "kubectl"),
    }


def read_env_file(path):
    """Parse a KEY=VALUE file such as k8s-auth.env into a dict."""
    values = {}
    for line in Path(path).read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def audit_events(path, since_offset=0):
    """Return ``(events, offset)``: the audit events written after byte ``since_offset``.

    Pass the returned offset to the next call to read only newer events. A line that is still being
    written is left for the next call. When the log is shorter than ``since_offset`` (down.sh and
    up.sh made a new one), reading starts again at 0. A missing log gives no events.
    """
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            if log.tell() < since_offset:
                since_offset = 0
            log.seek(since_offset)
            data = log.read()
    except FileNotFoundError:
        return [], since_offset

    complete = data[: data.rfind(b"\n") + 1]
    events = [json.loads(line) for line in complete.splitlines() if line.strip()]
    return events, since_offset + len(complete)


def audit_log_end(path):
    """Return the current size of the audit log in bytes, for use as ``since_offset`` later."""
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def component_pid(state_dir, name):
    """Return the pid of component ``name`` (for example ``kube-apiserver``) or None if it is not running."""
    pid_file = Path(state_dir) / "run" / f"{name}.pid"
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    # The argument check guards against a pid that a new process reuses.
    if f"{Path(state_dir)}/" not in cmdline or state == "Z":
        return None
    return pid


def stop_component(state_dir, name, kill=False, timeout=30):
    """Stop component ``name`` and wait until it has exited; the other components keep running.

    Sends SIGTERM, or SIGKILL when ``kill`` is true to simulate a crash. Raises ``TimeoutError``
    when the process is still there after ``timeout`` seconds.
    """
    pid = component_pid(state_dir, name)
    if pid is None:
        return
    os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while component_pid(state_dir, name) == pid:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} pid {pid} still running {timeout}s after the signal")
        time.sleep(0.2)


def stop_apiserver(state_dir, kill=False, timeout=30):
    """Stop only the kube-apiserver, as ``stop_component`` does."""
    stop_component(state_dir, "kube-apiserver", kill=kill, timeout=timeout)


def start_apiserver(repo_root, timeout=None):
    """Start the kube-apiserver again after ``stop_apiserver`` and wait until the cluster is ready.

    This runs up.sh, which restarts only the components that are not running, with the same ports
    and data. Returns the same dict as ``ensure_cluster``.

    NOTE: kube-controller-manager, kube-scheduler and kwok reconnect with client-go's watch backoff
    (up to 30 s, doubled by jitter), so after a stop of more than about 20 s they can take up to a
    minute to act on new objects. To have them resume at once, stop them too with
    ``stop_component`` before calling this.
    """
    return ensure_cluster(repo_root, timeout=timeout)
