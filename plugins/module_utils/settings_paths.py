# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Setting paths: how they are written in messages and in a fragment's `remove` list."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_SEGMENT = re.compile(r"^(?P<key>[A-Za-z0-9_\-]+)(?:\[(?P<selector>[^\[\]]+)\])?$")

# List settings whose entries form a set: fragments add entries, duplicates collapse, order of first
# appearance is kept. Every other list is replaced as a whole by a later fragment.
SET_LISTS = frozenset([
    ("litellm_settings", "callbacks"),
    ("litellm_settings", "success_callback"),
    ("litellm_settings", "failure_callback"),
    ("litellm_settings", "service_callback"),
    ("litellm_settings", "input_callback"),
    ("litellm_settings", "audit_log_callbacks"),
    ("litellm_settings", "extra_spend_tag_headers"),
    ("litellm_settings", "cache_params", "supported_call_types"),
    ("router_settings", "optional_pre_call_checks"),
    ("general_settings", "allowed_routes"),
    ("general_settings", "admin_only_routes"),
    ("general_settings", "public_routes"),
    ("general_settings", "allowed_ips"),
])

# Set lists of HTTP header names: compared case-insensitively and written in lower case, because
# LiteLLM 1.108.0 looks these names up case-sensitively among the lower-cased request headers.
HEADER_SET_LISTS = frozenset([
    ("litellm_settings", "extra_spend_tag_headers"),
])

USER_HEADER_MAPPINGS = ("general_settings", "user_header_mappings")
MODEL_LIST = ("model_list",)


def format_path(path):
    """Render a path tuple such as ('general_settings', 'user_header_mappings', 1) as text."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += "[%d]" % segment
        elif text:
            text += "." + segment
        else:
            text = segment
    return text


class RemovePath:
    """A parsed entry of a fragment's `remove` list: the keys to walk and an optional list selector."""

    def __init__(self, text, keys, selector):
        self.text = text
        self.keys = keys
        self.selector = selector


def parse_remove_path(text):
    """Parse `section.key` or `section.key[entry]`; return a RemovePath, or raise ValueError."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a remove path must be a non-empty string such as 'litellm_settings.cache_params'")

    segments = _split_outside_brackets(text.strip())
    keys = []
    selector = None
    for position, segment in enumerate(segments):
        match = _SEGMENT.match(segment)
        if not match:
            raise ValueError(
                "'%s' is not a valid remove path: write keys separated by dots, with an optional "
                "[entry] after the last key, for example 'litellm_settings.callbacks[prometheus]'" % text
            )
        if match.group("selector") is not None and position != len(segments) - 1:
            raise ValueError("'%s' is not a valid remove path: only the last key may select a list entry" % text)
        keys.append(match.group("key"))
        selector = match.group("selector")

    return RemovePath(text, tuple(keys), selector)


def _split_outside_brackets(text):
    segments = []
    current = ""
    depth = 0
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            segments.append(current)
            current = ""
        else:
            current += char
    segments.append(current)
    return segments
