"""The pinned ansible package still bundles the collections this project relies on.

requirements.txt pins ansible (the package that bundles collections), not ansible-core alone, because
playbooks/awx_setup.yml needs awx.awx and the roles need kubernetes.core. A version bump that drops one
of them, or changes kubernetes.core away from the version the execution environment installs, fails here.
"""

import json
import os
import re
from importlib import metadata

import pytest
import yaml

from helpers.playbooks import REPO_ROOT

BUNDLED = ("awx/awx", "kubernetes/core")


def pinned(package):
    with open(os.path.join(REPO_ROOT, "requirements.txt"), encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"^%s==(\S+)\s*$" % re.escape(package), line.strip(), re.IGNORECASE)
            if match:
                return match.group(1)
    raise AssertionError("requirements.txt does not pin %s with ==" % package)


def bundled_manifest(collection):
    """Return the MANIFEST.json of a collection shipped in the installed ansible distribution."""
    manifest_path = "ansible_collections/%s/MANIFEST.json" % collection
    for path in metadata.files("ansible") or ():
        if str(path) == manifest_path:
            with open(path.locate(), encoding="utf-8") as handle:
                return json.load(handle)
    raise AssertionError("the installed ansible %s ships no %s" % (metadata.version("ansible"), manifest_path))


def test_installed_ansible_matches_pin():
    assert metadata.version("ansible") == pinned("ansible")


@pytest.mark.parametrize("collection", BUNDLED)
def test_pinned_ansible_bundles_collection(collection):
    manifest = bundled_manifest(collection)
    assert manifest["collection_info"]["namespace"] + "/" + manifest["collection_info"]["name"] == collection


@pytest.mark.parametrize("collection", ["awx.awx", "kubernetes.core"])
def test_bundled_collection_imports(collection):
    package = __import__("ansible_collections.%s.plugins.module_utils" % collection, fromlist=["__name__"])
    assert package.__name__.endswith("module_utils")


def test_ee_kubernetes_core_matches_bundled():
    with open(os.path.join(REPO_ROOT, "meta", "ee-requirements.yml"), encoding="utf-8") as handle:
        requirements = yaml.safe_load(handle)["collections"]
    entry = next(item for item in requirements if item["name"] == "kubernetes.core")
    assert str(entry["version"]) == bundled_manifest("kubernetes/core")["collection_info"]["version"]


@pytest.mark.parametrize("package", ["kubernetes", "PyYAML"])
def test_ee_python_pins_match_requirements(package):
    with open(os.path.join(REPO_ROOT, "meta", "ee-requirements.txt"), encoding="utf-8") as handle:
        ee_pins = dict(line.strip().split("==", 1) for line in handle if "==" in line and not line.startswith("#"))
    assert ee_pins[package] == pinned(package)


def test_ee_ansible_core_matches_requirements():
    with open(os.path.join(REPO_ROOT, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        definition = yaml.safe_load(handle)
    assert definition["dependencies"]["ansible_core"]["package_pip"] == "ansible-core==" + pinned("ansible-core")
