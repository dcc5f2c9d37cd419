# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge LiteLLM settings fragments into one proxy configuration.

Rules, applied fragment by fragment in order:

* A fragment's `remove` paths are applied first, to what earlier fragments built.
* Mappings merge deeply; a later scalar or list replaces an earlier one.
* Set lists (see settings_paths.SET_LISTS) become an ordered union without duplicates; header-name
  set lists compare case-insensitively and are written in lower case.
* `general_settings.user_header_mappings` is keyed by header name (case-insensitive): identical
  entries collapse, one header with two roles is an error, and at most one header may map to
  `internal_user`. The order of entries is kept, because LiteLLM tries `customer` headers in order.
* `model_list` keeps entry order and drops exact duplicates; entries sharing a `model_name` are kept.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.aigateway.litellm.plugins.module_utils.settings_paths import (
    HEADER_SET_LISTS,
    MODEL_LIST,
    SET_LISTS,
    USER_HEADER_MAPPINGS,
    format_path,
    parse_remove_path,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_problems import (
    ERROR,
    WARNING,
    Problem,
    describe_shape,
    describe_value,
)


class MergeResult:
    """The merged configuration, the problems found while merging, and which fragment set each path."""

    def __init__(self, config, problems, origins):
        self.config = config
        self.problems = problems
        self.origins = origins


def check_fragment_shapes(fragments):
    """Check that each fragment is a mapping with a unique name, a settings mapping and a remove list."""
    problems = []
    seen = set()
    for index, fragment in enumerate(fragments):
        label = "fragments[%d]" % index
        if not isinstance(fragment, dict):
            problems.append(Problem(ERROR, "", label, "a fragment must be a mapping, got %s" % describe_shape(fragment),
                                    "write each fragment as {name: ..., settings: {...}}"))
            continue

        name = fragment.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(ERROR, "", label, "the fragment has no name (name: %s)" % describe_value(name),
                                    "give every fragment a non-empty string name, in quotes where YAML would "
                                    "read it as a number or a date"))
        elif name in seen:
            problems.append(Problem(ERROR, "", name, "two fragments are named '%s'" % name,
                                    "give every fragment a unique name, so messages can tell them apart"))
        else:
            seen.add(name)
        label = name if isinstance(name, str) and name.strip() else label

        unknown = sorted(str(k) for k in fragment if k not in ("name", "settings", "remove"))
        if unknown:
            problems.append(Problem(ERROR, "", label, "unknown fragment field(s) %s" % ", ".join(unknown),
                                    "a fragment has only the fields name, settings and remove"))
        # A present but empty (null) field is an error too, because Ansible's argument check of the module
        # rejects null where it expects a mapping or a list.
        settings = fragment.get("settings", {})
        if not isinstance(settings, dict):
            problems.append(Problem(ERROR, "settings", label,
                                    "settings must be a mapping, got %s" % describe_shape(settings),
                                    "write settings as a mapping of LiteLLM config sections, or leave settings out"))
        remove = fragment.get("remove", [])
        if not isinstance(remove, list):
            problems.append(Problem(ERROR, "remove", label,
                                    "remove must be a list of paths, got %s" % describe_shape(remove),
                                    "write remove as a list such as ['litellm_settings.cache_params']"))
    return problems


def merge_fragments(fragments):
    """Merge well-shaped fragments (see check_fragment_shapes) and return a MergeResult."""
    merger = _Merger()
    for fragment in fragments:
        merger.apply(fragment["name"], fragment.get("settings") or {}, fragment.get("remove") or [])
    merger.finish()
    return MergeResult(merger.config, merger.problems, merger.origins)


def _identity(path, item):
    if path in HEADER_SET_LISTS and isinstance(item, str):
        return item.lower()
    if isinstance(item, (dict, list)):
        return json.dumps(item, sort_keys=True, default=str)
    return item


def _normalise_item(path, item):
    if path in HEADER_SET_LISTS and isinstance(item, str):
        return item.lower()
    return copy.deepcopy(item)


class _Merger:
    def __init__(self):
        self.config = {}
        self.problems = []
        # Dotted path (and, for list entries, the entry identity) -> name of the fragment that set it.
        self.origins = {}

    def apply(self, name, settings, remove_paths):
        for text in remove_paths:
            self._remove(name, text)
        self._merge_mapping((), self.config, settings, name)

    def finish(self):
        mappings = self.config.get("general_settings", {}).get("user_header_mappings")
        if not isinstance(mappings, list):
            return
        internal = [m for m in mappings if isinstance(m, dict) and m.get("litellm_user_role") == "internal_user"]
        if len(internal) > 1:
            described = ", ".join(
                "'%s' (fragment '%s')" % (m.get("header_name"), self._mapping_origin(m)) for m in internal
            )
            self.problems.append(Problem(
                ERROR, format_path(USER_HEADER_MAPPINGS), self._mapping_origin(internal[-1]),
                "%d headers map to internal_user: %s; LiteLLM only ever uses the first" % (len(internal), described),
                "keep one internal_user mapping and map the other headers to customer or remove them",
            ))

    # Merging

    def _merge_mapping(self, path, target, source, name):
        for key, value in source.items():
            child = path + (key,)
            existing = target.get(key)
            if child in SET_LISTS and isinstance(value, list) and isinstance(existing, (list, type(None))):
                target[key] = self._union(child, existing or [], value, name)
            elif child == USER_HEADER_MAPPINGS and isinstance(value, list) and isinstance(existing, (list, type(None))):
                target[key] = self._merge_user_header_mappings(existing or [], value, name)
            elif child == MODEL_LIST and isinstance(value, list) and isinstance(existing, (list, type(None))):
                target[key] = self._merge_model_list(existing or [], value, name)
            elif isinstance(value, dict) and isinstance(existing, (dict, type(None))):
                if existing is None:
                    existing = target[key] = {}
                    self.origins[format_path(child)] = name
                self._merge_mapping(child, existing, value, name)
            else:
                target[key] = copy.deepcopy(value)
                self.origins[format_path(child)] = name

    def _union(self, path, existing, added, name):
        result = list(existing)
        seen = set(_identity(path, item) for item in existing)
        for item in added:
            identity = _identity(path, item)
            if identity in seen:
                continue
            seen.add(identity)
            result.append(_normalise_item(path, item))
            self.origins["%s[%s]" % (format_path(path), identity)] = name
        self.origins.setdefault(format_path(path), name)
        return result

    def _merge_user_header_mappings(self, existing, added, name):
        result = list(existing)
        for index, entry in enumerate(added):
            header = entry.get("header_name") if isinstance(entry, dict) else None
            if not isinstance(header, str):
                # Invalid entries are reported by validation; keep them so the config shows them.
                result.append(copy.deepcopy(entry))
                continue

            current = self._find_mapping(result, header)
            if current is None:
                result.append(copy.deepcopy(entry))
                self.origins[self._mapping_key(header)] = name
            elif current != entry and current.get("litellm_user_role") != entry.get("litellm_user_role"):
                path = format_path(USER_HEADER_MAPPINGS + (index, "litellm_user_role"))
                self.problems.append(Problem(
                    ERROR, path, name,
                    "header '%s' is mapped to %s here and to %s by fragment '%s'; a header can have only one role"
                    % (header, describe_value(entry.get("litellm_user_role")),
                       describe_value(current.get("litellm_user_role")), self._mapping_origin(current)),
                    "drop one of the two mappings, or remove the earlier one first with remove: "
                    "['general_settings.user_header_mappings[%s]']" % header,
                ))
        self.origins.setdefault(format_path(USER_HEADER_MAPPINGS), name)
        return result

    def _merge_model_list(self, existing, added, name):
        result = list(existing)
        for entry in added:
            if entry in result:
                continue
            result.append(copy.deepcopy(entry))
            if isinstance(entry, dict):
                self.origins.setdefault("model_list[%s]" % entry.get("model_name"), name)
        self.origins.setdefault("model_list", name)
        return result

    @staticmethod
    def _find_mapping(entries, header):
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("header_name"), str):
                if entry["header_name"].lower() == header.lower():
                    return entry
        return None

    @staticmethod
    def _mapping_key(header):
        return "%s[%s]" % (format_path(USER_HEADER_MAPPINGS), header.lower())

    def _mapping_origin(self, entry):
        header = entry.get("header_name")
        if isinstance(header, str):
            return self.origins.get(self._mapping_key(header), "?")
        return "?"

    # Removing

    def _remove(self, name, text):
        try:
            path = parse_remove_path(text)
        except ValueError as error:
            self.problems.append(Problem(ERROR, "remove", name, str(error),
                                         "write keys separated by dots, such as litellm_settings.cache_params, with "
                                         "an optional final [entry], such as litellm_settings.callbacks[prometheus]"))
            return

        parent = self.config
        for key in path.keys[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
            if parent is None:
                break
        last = path.keys[-1]
        if not isinstance(parent, dict) or last not in parent:
            self._nothing_to_remove(name, path.text)
            return

        if path.selector is None:
            del parent[last]
            self._forget_origins(format_path(path.keys))
            return

        entries = parent[last]
        if not isinstance(entries, list):
            self.problems.append(Problem(
                ERROR, "remove", name,
                "'%s' selects an entry, but %s is %s, not a list"
                % (path.text, format_path(path.keys), describe_value(entries)),
                "drop the [entry] part to remove the whole key",
            ))
            return

        kept = [entry for entry in entries if not self._selected(path.keys, entry, path.selector)]
        if len(kept) == len(entries):
            self._nothing_to_remove(name, path.text)
            return
        parent[last] = kept

    @staticmethod
    def _selected(keys, entry, selector):
        if keys == USER_HEADER_MAPPINGS:
            header = entry.get("header_name") if isinstance(entry, dict) else None
            return isinstance(header, str) and header.lower() == selector.lower()
        if keys == MODEL_LIST:
            return isinstance(entry, dict) and entry.get("model_name") == selector
        if keys in HEADER_SET_LISTS:
            return isinstance(entry, str) and entry.lower() == selector.lower()
        return isinstance(entry, (str, int, float)) and not isinstance(entry, bool) and str(entry) == selector

    def _nothing_to_remove(self, name, text):
        self.problems.append(Problem(WARNING, "remove", name,
                                     "'%s' matches nothing that earlier fragments set, so nothing was removed" % text))

    def _forget_origins(self, prefix):
        for key in [k for k in self.origins if k == prefix or k.startswith(prefix + ".") or k.startswith(prefix + "[")]:
            del self.origins[key]
