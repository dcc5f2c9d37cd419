# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a merged LiteLLM configuration as canonical YAML text and its checksum."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import traceback

try:
    import yaml
except ImportError:
    yaml = None
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

# Root sections come in this order, the rest alphabetically after them; keys inside every mapping
# are sorted, except in the entries below, where the identifying key comes first.
ROOT_ORDER = ("model_list", "litellm_settings", "router_settings", "general_settings", "environment_variables")
ENTRY_KEY_ORDER = ("model_name", "header_name", "litellm_user_role", "litellm_params", "model_info")


def canonical(value, root=False):
    """Return a copy of `value` with mapping keys in canonical order; list order is kept."""
    if isinstance(value, dict):
        if root:
            order = [k for k in ROOT_ORDER if k in value] + sorted(k for k in value if k not in ROOT_ORDER)
        else:
            first = [k for k in ENTRY_KEY_ORDER if k in value]
            order = first + sorted((k for k in value if k not in first), key=str)
        return dict((key, canonical(value[key])) for key in order)
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def render_yaml(config):
    """Return the canonical YAML text of a configuration: same input, same bytes."""
    return yaml.safe_dump(
        canonical(config, root=True),
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        indent=2,
    )


def checksum(content):
    """Return the SHA-256 hex digest of rendered text."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()
