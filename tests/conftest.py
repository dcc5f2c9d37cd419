"""Make the checkout importable as ansible_collections.aigateway.litellm for every test tier."""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, ".collections")


def _link_collection():
    parent = os.path.join(COLLECTIONS_DIR, "ansible_collections", "aigateway")
    link = os.path.join(parent, "litellm")
    os.makedirs(parent, exist_ok=True)
    if os.path.realpath(link) != REPO_ROOT:
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(REPO_ROOT, link)


_link_collection()
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)
