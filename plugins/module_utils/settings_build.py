# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a LiteLLM proxy configuration from a base and ordered fragments: check, merge, render."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_merge import (
    check_fragment_shapes,
    merge_fragments,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_render import checksum, render_yaml
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_rules import check_merged
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_validate import Catalog, validate_fragment

BASE_FRAGMENT_NAME = "base"


class BuildResult:
    """Outcome of a build: the merged config and its text when there are no errors, and every problem."""

    def __init__(self, config, content, digest, problems):
        self.config = config
        self.content = content
        self.checksum = digest
        self.problems = problems

    @property
    def errors(self):
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self):
        return [p for p in self.problems if not p.is_error]


def build_config(base, fragments, strict=True, catalog=None):
    """Validate every fragment, merge them all, and render the result; collect every problem first."""
    catalog = catalog or Catalog()
    fragments = list(fragments or [])
    if base:
        fragments.insert(0, {"name": BASE_FRAGMENT_NAME, "settings": base})

    problems = check_fragment_shapes(fragments)
    if problems:
        return BuildResult(None, None, None, problems)

    for fragment in fragments:
        problems.extend(validate_fragment(fragment["name"], fragment.get("settings") or {}, catalog, strict))

    merged = merge_fragments(fragments)
    problems.extend(merged.problems)
    problems.extend(check_merged(merged.config, merged.origins))
    if any(p.is_error for p in problems):
        return BuildResult(None, None, None, problems)

    content = render_yaml(merged.config)
    return BuildResult(merged.config, content, checksum(content), problems)
