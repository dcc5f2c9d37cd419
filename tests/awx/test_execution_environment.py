"""meta/execution-environment.yml: `ansible-builder create` writes a complete build context offline.

`create` only writes files. `build` would pull the base image and reach PyPI and Galaxy, so it is not run
here. The tests run `create`, and the collection build it needs, with every network connection blocked
and with stand-ins for podman and docker that record any call. Then they check the build context: the
Containerfile, the requirements carried over and the collection archive that the Galaxy step installs.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml

from helpers.playbooks import REPO_ROOT

VENV_BIN = os.path.dirname(sys.executable)
EE_FILES = ("execution-environment.yml", "ee-requirements.yml", "ee-requirements.txt", "ee-bindep.txt")

# Imported by every Python process of the tests below (PYTHONPATH): any connection other than a Unix socket
# is recorded and refused. Name lookups are left alone, because ansible-core checks that nothing has
# replaced socket.getaddrinfo; a lookup alone sends no request to Galaxy or a registry.
NETWORK_GUARD = textwrap.dedent("""
    import os
    import socket

    _LOG = os.environ["AIGATEWAY_NETWORK_LOG"]

    def _reject(attempt):
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(attempt + "\\n")
        raise OSError("network access is blocked in this test: " + attempt)

    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex

    def connect(self, address):
        if self.family == socket.AF_UNIX:
            return _connect(self, address)
        _reject("connect %r" % (address,))

    def connect_ex(self, address):
        if self.family == socket.AF_UNIX:
            return _connect_ex(self, address)
        _reject("connect_ex %r" % (address,))

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
""")

RECORDING_TOOL = textwrap.dedent("""\
    #!/bin/sh
    echo "$0 $*" >> "$AIGATEWAY_RUNTIME_LOG"
    exit 1
""")


def galaxy_version():
    with open(os.path.join(REPO_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def guarded_env(tmp_path_factory):
    """Environment for subprocesses: no network, and podman and docker stand-ins that record their calls."""
    base = tmp_path_factory.mktemp("guard")
    (base / "sitecustomize.py").write_text(NETWORK_GUARD)
    fake_bin = base / "bin"
    fake_bin.mkdir()
    for tool in ("podman", "docker", "buildah"):
        path = fake_bin / tool
        path.write_text(RECORDING_TOOL)
        path.chmod(0o755)
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": str(base),
        "PATH": os.pathsep.join([str(fake_bin), VENV_BIN, "/usr/bin", "/bin"]),
        "AIGATEWAY_NETWORK_LOG": str(base / "network.log"),
        "AIGATEWAY_RUNTIME_LOG": str(base / "runtime.log"),
        "HOME": str(base),
    })
    return env, base


@pytest.fixture(scope="module")
def build_context(guarded_env, tmp_path_factory):
    """Lay out meta/ and the collection archive as in a checkout, then run `ansible-builder create`."""
    env, guard = guarded_env
    checkout = tmp_path_factory.mktemp("checkout")
    (checkout / "meta").mkdir()
    for name in EE_FILES:
        shutil.copy(os.path.join(REPO_ROOT, "meta", name), str(checkout / "meta" / name))

    built = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", REPO_ROOT,
                            "--output-path", str(checkout), "--force"],
                           env=env, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout + built.stderr

    context = checkout / "context"
    created = subprocess.run([os.path.join(VENV_BIN, "ansible-builder"), "create",
                              "-f", str(checkout / "meta" / "execution-environment.yml"),
                              "-c", str(context), "--output-filename", "Containerfile", "-v", "3"],
                             env=env, capture_output=True, text=True, check=False, cwd=str(checkout))
    assert created.returncode == 0, created.stdout + created.stderr
    return context, created, guard


def test_create_writes_containerfile(build_context):
    context = build_context[0]
    assert (context / "Containerfile").is_file()


def test_create_reaches_no_network(build_context):
    guard = build_context[2]
    log = guard / "network.log"
    assert not log.exists(), read(str(log))


def test_create_calls_no_container_runtime(build_context):
    guard = build_context[2]
    log = guard / "runtime.log"
    assert not log.exists(), read(str(log))


def test_create_carries_python_requirements(build_context):
    context = build_context[0]
    assert read(str(context / "_build" / "requirements.txt")) == read(os.path.join(REPO_ROOT, "meta", "ee-requirements.txt"))
    pins = read(str(context / "_build" / "requirements.txt"))
    assert "kubernetes==" in pins
    assert "PyYAML==" in pins


def test_create_carries_system_requirements(build_context):
    context = build_context[0]
    assert read(str(context / "_build" / "bindep.txt")) == read(os.path.join(REPO_ROOT, "meta", "ee-bindep.txt"))


def test_create_carries_galaxy_requirements(build_context):
    context = build_context[0]
    requirements = yaml.safe_load(read(str(context / "_build" / "requirements.yml")))["collections"]
    names = [entry["name"] for entry in requirements]
    assert "kubernetes.core" in names
    assert "collections/aigateway-litellm-%s.tar.gz" % galaxy_version() in names


def test_create_copies_collection_archive(build_context):
    context = build_context[0]
    archive = context / "_build" / "collections" / ("aigateway-litellm-%s.tar.gz" % galaxy_version())
    assert archive.is_file()


def test_containerfile_installs_pinned_ansible(build_context):
    containerfile = read(str(build_context[0] / "Containerfile"))
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile


@pytest.mark.parametrize("line", [
    "ENV LANG=C.UTF-8",
    "ENV ANSIBLE_COLLECTIONS_PATH=/runner/requirements_collections:/usr/share/ansible/collections",
    "ENV ANSIBLE_CALLBACKS_ENABLED=aigateway.litellm.drift_report",
])
def test_containerfile_sets_job_environment(build_context, line):
    containerfile = read(str(build_context[0] / "Containerfile")).splitlines()
    final_stage = containerfile[containerfile.index("FROM base AS final"):]
    assert line in final_stage


@pytest.fixture(scope="module")
def installed_collection(build_context, guarded_env, tmp_path_factory):
    """Install the archive as the Containerfile's Galaxy step does, from the context's requirements entry."""
    context = build_context[0]
    env = guarded_env[0]
    requirements = yaml.safe_load(read(str(context / "_build" / "requirements.yml")))["collections"]
    local_only = {"collections": [entry for entry in requirements if entry.get("type") == "file"]}
    (context / "_build" / "local-requirements.yml").write_text(yaml.safe_dump(local_only))
    target = tmp_path_factory.mktemp("installed")
    # --no-deps: kubernetes.core would come from Galaxy during a real build.
    installed = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--offline",
                                "--no-deps", "-r", "local-requirements.yml", "-p", str(target)],
                               cwd=str(context / "_build"), env=env, capture_output=True, text=True, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return target


def test_archive_installs_from_requirements(installed_collection):
    manifest = json.loads(read(str(installed_collection / "ansible_collections" / "aigateway" / "litellm" / "MANIFEST.json")))
    assert manifest["collection_info"]["version"] == galaxy_version()


@pytest.mark.parametrize("path", [
    "plugins/callback/drift_report.py",
    "plugins/action/drift_check.py",
    "playbooks/site.yml",
    "playbooks/verify.yml",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
] + ["roles/%s/meta/argument_specs.yml" % role for role in ("aigateway", "redis", "litellm", "openwebui")])
def test_archive_contains(installed_collection, path):
    assert (installed_collection / "ansible_collections" / "aigateway" / "litellm" / path).is_file()


def collection_paths(installed_collection, extra_env):
    """Return where ansible-galaxy finds aigateway.litellm, run with the project's ansible.cfg as AWX does."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env["ANSIBLE_CONFIG"] = os.path.join(REPO_ROOT, "ansible.cfg")
    env.update(extra_env)
    listed = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "list", "aigateway.litellm",
                             "--format", "json"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        return []
    return [os.path.realpath(path) for path in json.loads(listed.stdout)]


def test_collections_path_variable_overrides_project_config(installed_collection):
    found = collection_paths(installed_collection, {"ANSIBLE_COLLECTIONS_PATH": str(installed_collection)})
    assert found == [os.path.realpath(str(installed_collection / "ansible_collections"))]


def test_plural_collections_paths_variable_is_ignored(installed_collection):
    # The name AWX 24 sets: ansible-core 2.19 no longer reads it, which is why the image sets the singular one.
    found = collection_paths(installed_collection, {"ANSIBLE_COLLECTIONS_PATHS": str(installed_collection)})
    assert os.path.realpath(str(installed_collection / "ansible_collections")) not in found
