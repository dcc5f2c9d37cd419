#!/usr/bin/python
# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: litellm_config
short_description: Merge and validate LiteLLM proxy settings fragments into one config file
version_added: 0.1.0
description:
  - Merges an optional base configuration and an ordered list of settings fragments into one LiteLLM
    C(proxy_server_config.yaml), validates it against a catalog of the keys that the pinned LiteLLM
    release reads, and returns it as a mapping, as canonical YAML text and as a SHA-256 checksum.
  - The LiteLLM proxy starts without complaint when a key is misspelled, placed in the wrong section,
    given a quoted boolean or an unknown role, and then silently ignores it. This module reports every
    such problem at once, naming the setting's full path, the value, the fragment and the fix, and
    fails without writing anything.
  - Mappings merge deeply and later scalars win. Set lists such as C(callbacks),
    C(extra_spend_tag_headers) and C(optional_pre_call_checks) become an ordered union.
    C(general_settings.user_header_mappings) is keyed by header name. C(model_list) keeps its order
    and drops exact duplicates. See the collection README for every rule.
  - The module never imports C(litellm); the catalog is data shipped in the collection.
options:
  base:
    description:
      - A configuration to start from, merged before the first fragment as a fragment named C(base).
    type: dict
  fragments:
    description:
      - Settings fragments, merged in list order.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Name of the fragment, used in error messages. Every fragment needs one, and names must be unique.
          - The module reports a missing name with the fragment's position, together with any other problem.
        type: str
      settings:
        description:
          - LiteLLM config sections, for example C(litellm_settings) and C(general_settings).
        type: dict
        default: {}
      remove:
        description:
          - Paths to delete from what earlier fragments built, applied before this fragment's settings.
          - A path is keys separated by dots, for example C(litellm_settings.cache_params).
          - A final C([entry]) removes one list entry instead of the key, for example
            C(litellm_settings.callbacks[prometheus]), C(general_settings.user_header_mappings[X-OpenWebUI-User-Email])
            (by header name) or C(model_list[gpt-4o]) (every entry with that model name).
        type: list
        elements: str
        default: []
  strict:
    description:
      - When true, keys that the pinned LiteLLM release does not read are errors; when false they are warnings.
      - Keys in the wrong section, wrong types, invalid header names and roles, and literal credentials are
        errors in both modes.
    type: bool
    default: true
  dest:
    description:
      - When set, write the rendered YAML to this path. The task reports C(changed) only when the content
        differs, and shows a diff in diff mode.
    type: path
  mode:
    description:
      - Permissions of O(dest), as for M(ansible.builtin.copy).
    type: raw
requirements:
  - PyYAML
author:
  - aigateway maintainers (@aigateway)
attributes:
  check_mode:
    description: Reports whether O(dest) would change, without writing it.
    support: full
  diff_mode:
    description: Shows the change to O(dest) as a diff of the YAML text.
    support: full
"""

EXAMPLES = r"""
- name: Merge the default settings with a team's fragment
  aigateway.litellm.litellm_config:
    fragments:
      - name: defaults
        settings:
          litellm_settings:
            callbacks: [prometheus]
            extra_spend_tag_headers: [x-openwebui-user-id]
      - name: team
        remove:
          - litellm_settings.callbacks[prometheus]
        settings:
          general_settings:
            user_header_mappings:
              - header_name: X-OpenWebUI-User-Id
                litellm_user_role: internal_user
  register: litellm_config

- name: Write the merged config to a file
  aigateway.litellm.litellm_config:
    fragments: "{{ my_fragments }}"
    dest: /etc/litellm/proxy_server_config.yaml
    mode: "0644"
"""

RETURN = r"""
config:
  description: The merged configuration.
  returned: success
  type: dict
content:
  description: Canonical YAML text of RV(config) (stable key order; booleans and integers keep their YAML types).
  returned: success
  type: str
checksum:
  description: SHA-256 hex digest of RV(content).
  returned: success
  type: str
  sample: 0d3c1f7e...
warnings:
  description: Warnings about the settings, such as keys the pinned LiteLLM release does not read.
  returned: always
  type: list
  elements: str
setting_warnings:
  description: The same warnings as RV(warnings), kept under a name that Ansible does not consume.
  returned: always
  type: list
  elements: str
errors:
  description: Every problem that made the module fail, one line each.
  returned: failed
  type: list
  elements: str
litellm_version:
  description: The LiteLLM release whose catalog the settings were checked against.
  returned: always
  type: str
  sample: 1.108.0
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_build import build_config
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_render import YAML_IMPORT_ERROR
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_problems import format_report
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_validate import Catalog


def write_dest(module, path, content):
    """Write `content` to `path` unless it is already there; return (changed, diff)."""
    before = ""
    if os.path.exists(path):
        with open(path, "r", encoding="utf-8") as handle:
            before = handle.read()
    diff = {"before_header": path, "after_header": path, "before": before, "after": content}

    changed = before != content
    if changed and not module.check_mode:
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            module.fail_json(msg="Cannot write %s: the directory %s does not exist; create it first." % (path, directory))
        temp_path = os.path.join(module.tmpdir, "proxy_server_config.yaml")
        with open(temp_path, "w", encoding="utf-8") as handle:
            handle.write(content)
        module.atomic_move(temp_path, path)

    file_args = module.load_file_common_arguments(module.params, path=path)
    if not module.check_mode or os.path.exists(path):
        changed = module.set_fs_attributes_if_different(file_args, changed, diff=None)
    return changed, diff


def main():
    module = AnsibleModule(
        argument_spec=dict(
            base=dict(type="dict"),
            fragments=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    name=dict(type="str"),
                    settings=dict(type="dict", default={}),
                    remove=dict(type="list", elements="str", default=[]),
                ),
            ),
            strict=dict(type="bool", default=True),
            dest=dict(type="path"),
            mode=dict(type="raw"),
        ),
        supports_check_mode=True,
    )

    if YAML_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)

    catalog = Catalog()
    result = build_config(module.params["base"], module.params["fragments"], module.params["strict"], catalog)
    warnings = [problem.format() for problem in result.warnings]
    # Literal credentials found in the fragments are masked in everything the module returns,
    # the echoed arguments (invocation) included.
    module.no_log_values.update(problem.hidden_value for problem in result.problems if problem.hidden_value)

    if result.errors:
        module.fail_json(
            msg=format_report(result.errors),
            errors=[problem.format() for problem in result.errors],
            setting_warnings=warnings,
            litellm_version=catalog.version,
        )

    for warning in warnings:
        module.warn(warning)

    changed = False
    diff = None
    if module.params["dest"]:
        changed, diff = write_dest(module, module.params["dest"], result.content)

    output = dict(
        changed=changed,
        config=result.config,
        content=result.content,
        checksum=result.checksum,
        setting_warnings=warnings,
        litellm_version=catalog.version,
    )
    if diff is not None and module._diff:
        output["diff"] = diff
    module.exit_json(**output)


if __name__ == "__main__":
    main()
