# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate one LiteLLM settings fragment against the catalog of the pinned LiteLLM version.

The proxy accepts misspelled keys, keys in the wrong section, quoted booleans and unknown roles
without an error or a log line, and then does not do what was meant. Every such mistake found here becomes
a Problem that names the full path, the value, the fragment and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible_collections.aigateway.litellm.plugins.module_utils import litellm_catalog
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_paths import (
    HEADER_SET_LISTS,
    MODEL_LIST,
    SET_LISTS,
    USER_HEADER_MAPPINGS,
    format_path,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.settings_problems import (
    ERROR,
    WARNING,
    Problem,
    describe_value,
    type_phrase,
)

ROOT = ""
SECTIONS = ("litellm_settings", "general_settings", "router_settings")
SECTION_PATHS = frozenset((section,) for section in SECTIONS)
CACHE_PARAMS = ("litellm_settings", "cache_params")
MAPPING_ENTRY = "general_settings.user_header_mappings[]"
MODEL_ENTRY = "model_list[]"

# An HTTP field name is an RFC 9110 token.
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
ENV_REFERENCE = re.compile(r"^os\.environ/[A-Za-z_][A-Za-z0-9_]*$")
# Key names whose values are credentials. Matched against the lower-cased key, anywhere in the config,
# header names such as Authorization and X-Api-Key included.
SECRET_KEY = re.compile(
    r"(^|[_-])(api[_-]key|password|passwd|secret|client_secret|secret_key|secret_access_key|access_key_id|"
    r"token|master_key|database_url|salt_key|private_key|credentials|authorization|webhook_url)$"
)
# Keys under which every string is a credential, such as alert_to_webhook_url: {alert type: Slack webhook URL}.
SECRET_CONTAINER_KEY = re.compile(r"(^|_)webhook_urls?$")
# A URL with user information (user:password@) before the host.
URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@\s]*:[^/@\s]*@")
# Strings that YAML 1.1 would have read as booleans had they not been quoted.
_QUOTED_BOOLEANS = ("true", "false", "yes", "no", "on", "off")
# A bare host name or IP address: no scheme, port, path or user information.
BARE_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*\.?$"
                       r"|^[0-9A-Fa-f:]+$")

PORT_PATHS = frozenset([
    ("router_settings", "redis_port"),
    CACHE_PARAMS + ("port",),
])
HOST_PATHS = frozenset([
    ("router_settings", "redis_host"),
    CACHE_PARAMS + ("host",),
])
HEADER_NAME_PATHS = frozenset([
    ("general_settings", "user_header_name"),
    ("general_settings", "litellm_key_header_name"),
])
REDIS_URL_PATHS = frozenset([
    ("router_settings", "redis_url"),
    CACHE_PARAMS + ("url",),
])

# Types the collection requires although LiteLLM's annotation is looser: LiteLLM 1.108.0 annotates
# cache_params.port as a string, and Redis takes an integer port.
TYPE_OVERRIDES = {
    "litellm_settings.cache_params.port": "int",
}

SECRET_FIXES = {
    ("general_settings", "master_key"): (
        "remove it: the proxy reads the master key from the LITELLM_MASTER_KEY environment variable, which the "
        "collection fills from litellm_master_key_secret"),
    ("general_settings", "database_url"): (
        "remove it: the proxy reads DATABASE_URL, which the collection fills from litellm_database_url_secret"),
}

_PYTHON_TYPES = {
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "list": (list,),
    "dict": (dict,),
}
_TYPE_WORDS = {
    "bool": "a boolean (true or false, unquoted)",
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "list": "a list",
    "dict": "a mapping",
}
_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0")
_SECTION_LABELS = {
    ROOT: "the top level of the file",
    "litellm_settings": "litellm_settings",
    "general_settings": "general_settings",
    "router_settings": "router_settings",
    "litellm_settings.cache_params": "litellm_settings.cache_params",
}


class Catalog:
    """Known keys, their types and allowed values, read from a generated catalog module."""

    def __init__(self, module=litellm_catalog):
        self.version = module.LITELLM_VERSION
        self.sections = module.SECTIONS
        self.enums = module.ENUMS
        self.open_sections = module.OPEN_SECTIONS
        self.ignored_keys = module.IGNORED_KEYS
        self.design_only = module.DESIGN_ONLY
        self.design_only_reasons = module.DESIGN_ONLY_REASONS

    def keys(self, section):
        return self.sections.get(section, {})

    def type_of(self, section, key):
        return TYPE_OVERRIDES.get(_join(section, key)) or self.keys(section).get(key)

    def design_only_type(self, section, key):
        return self.design_only.get(section, {}).get(key)

    def design_only_reason(self, section, key):
        return self.design_only_reasons.get(section, {}).get(key)

    def ignored_reason(self, section, key):
        return self.ignored_keys.get(section, {}).get(key)

    def is_open(self, section):
        return section in self.open_sections

    def sections_knowing(self, key, excluding):
        """Return the catalogued sections (of those a user writes directly) that define `key`."""
        found = []
        for section in (ROOT,) + SECTIONS + ("litellm_settings.cache_params",):
            if section != excluding and (key in self.keys(section) or self.design_only_type(section, key)):
                found.append(section)
        return found


def _join(section, key):
    return "%s.%s" % (section, key) if section else key


def validate_fragment(name, settings, catalog, strict=True):
    """Return the problems in one fragment's settings (a mapping of config sections)."""
    validator = _FragmentValidator(name, catalog, strict)
    validator.check_mapping((), ROOT, settings)
    for key, value in settings.items():
        if isinstance(key, str):
            validator.check_secret((key,), key, value)
    return validator.problems


class _FragmentValidator:
    def __init__(self, name, catalog, strict):
        self.name = name
        self.catalog = catalog
        self.strict = strict
        self.problems = []

    def error(self, path, message, fix=None, hidden_value=None):
        self.problems.append(Problem(ERROR, format_path(path), self.name, message, fix, hidden_value))

    def warn(self, path, message, fix=None):
        self.problems.append(Problem(WARNING, format_path(path), self.name, message, fix))

    # Sections and keys

    def check_mapping(self, path, section, mapping):
        for key, value in mapping.items():
            if not isinstance(key, str):
                self.error(path + (str(key),), "the key %s is %s, not a string" % (describe_value(key), type_phrase(key)),
                           "quote the key; YAML reads yes, no, on, off and numbers as other types")
                continue
            child = path + (key,)
            design_type = self.catalog.design_only_type(section, key)
            known_type = self.catalog.type_of(section, key)
            if known_type:
                self.check_value(child, known_type, value)
            elif design_type:
                self.warn(child, self.catalog.design_only_reason(section, key) or
                          "LiteLLM %s does not read this key, so it has no effect" % self.catalog.version,
                          "keep it only if you also configure what LiteLLM reads instead")
                self.check_value(child, design_type, value)
            else:
                self.check_unknown_key(child, section, key)

    def check_unknown_key(self, path, section, key):
        label = _SECTION_LABELS.get(section, section)
        elsewhere = self.catalog.sections_knowing(key, excluding=section)
        close = difflib.get_close_matches(key, list(self.catalog.keys(section)), n=1, cutoff=0.75)
        fix = "did you mean '%s'?" % close[0] if close else "check the spelling against the LiteLLM %s documentation" % (
            self.catalog.version)

        if self.catalog.ignored_reason(section, key):
            message = "'%s' has no effect in %s: %s" % (key, label, self.catalog.ignored_reason(section, key))
            fix = "remove it"
        elif elsewhere:
            targets = " or ".join(_SECTION_LABELS.get(s, s) for s in elsewhere)
            self.error(path, "LiteLLM reads '%s' from %s, not from %s" % (key, targets, label), "move it to %s" % targets)
            return
        elif self.catalog.is_open(section):
            # LiteLLM passes unknown keys of this section on (for example to the Redis client), so
            # they are not ignored; a misspelling still deserves a look.
            self.warn(path, "'%s' is not a documented %s key; LiteLLM %s passes it on unchecked" % (
                key, label, self.catalog.version), fix)
            return
        else:
            message = "unknown key '%s' in %s: LiteLLM %s does not read it and would silently ignore it" % (
                key, label, self.catalog.version)

        if self.strict:
            self.error(path, message, fix)
        else:
            self.warn(path, message, fix)

    # Values

    def check_value(self, path, expected, value):
        if value is None:
            return
        if not self.check_type(path, expected, value):
            return

        if path in SECTION_PATHS or path == CACHE_PARAMS:
            self.check_mapping(path, format_path(path), value)
        elif path == USER_HEADER_MAPPINGS:
            self.check_user_header_mappings(path, value)
        elif path == MODEL_LIST:
            self.check_model_list(path, value)
        elif path in SET_LISTS:
            self.check_set_list(path, value)
        elif path in PORT_PATHS:
            self.check_port(path, value)
        elif path in HOST_PATHS:
            self.check_host(path, value)
        elif path in HEADER_NAME_PATHS:
            self.check_header_name(path, value)
        elif path in REDIS_URL_PATHS:
            self.check_redis_url(path, value)
        self.check_enum(format_path(path), path, value)

    def check_type(self, path, expected, value):
        accepted = _PYTHON_TYPES.get(expected)
        if accepted is None:
            # LiteLLM 1.108.0 types many general_settings flags as Any and reads them by truthiness or
            # with "is False", so a quoted boolean is a mistake wherever no string is expected.
            if isinstance(value, str) and value.strip().lower() in _QUOTED_BOOLEANS:
                word = "false" if value.strip().lower() in _FALSE_WORDS else "true"
                self.error(path, "%s is a quoted boolean" % describe_value(value),
                           "write %s without quotes: LiteLLM reads such flags by truthiness or compares them with "
                           "True and False, so a string does not mean what it says" % word)
                return False
            return True
        if isinstance(value, bool) and expected != "bool":
            accepted_here = False
        else:
            accepted_here = isinstance(value, accepted)
        if accepted_here:
            return True

        fix = "write %s" % _TYPE_WORDS[expected]
        word = value.strip().lower() if isinstance(value, str) else None
        if expected == "bool" and word in _TRUE_WORDS + _FALSE_WORDS:
            fix = ("write %s without quotes: LiteLLM reads some flags by truthiness, so the string %s counts as true"
                   % ("true" if word in _TRUE_WORDS else "false", describe_value(value)))
        elif expected in ("int", "float") and word is not None and re.match(r"^-?\d+(\.\d+)?$", word):
            fix = "write %s without quotes" % word
        message = "%s is %s, but this setting must be %s" % (describe_value(value), type_phrase(value), _TYPE_WORDS[expected])
        self.error(path, message, fix)
        return False

    def check_enum(self, enum_key, path, value):
        allowed = self.catalog.enums.get(enum_key)
        if allowed is None or not isinstance(value, str) or value in allowed:
            return
        self.error(path, "%s is not an allowed value" % describe_value(value),
                   "use one of %s" % ", ".join("'%s'" % a for a in allowed))

    def check_port(self, path, value):
        if not 1 <= value <= 65535:
            self.error(path, "port %d is outside 1-65535" % value, "use the TCP port Redis listens on, such as 6379")

    def check_host(self, path, value):
        if not BARE_HOST.match(value):
            self.error(path, "%s is not a bare host name" % describe_value(value),
                       "give only the host name, such as redis.litellm.svc.cluster.local, and put the port in the "
                       "port setting; LiteLLM builds the Redis address itself")

    def check_header_name(self, path, value):
        if not isinstance(value, str):
            self.error(path, "%s is %s, not a header name" % (describe_value(value), type_phrase(value)),
                       "write the header name as a string, such as X-OpenWebUI-User-Id")
        elif not HEADER_NAME.match(value):
            self.error(path, "%s is not a valid HTTP header name" % describe_value(value),
                       "use an RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~, without spaces or colons, such as X-OpenWebUI-User-Id")

    def check_redis_url(self, path, value):
        if "@" in value and not ENV_REFERENCE.match(value):
            self.error(path, "the Redis URL carries credentials in plain text (value hidden)",
                       "put the URL in a Kubernetes Secret and write os.environ/NAME here", hidden_value=value)

    def check_set_list(self, path, entries):
        for index, entry in enumerate(entries):
            if path in HEADER_SET_LISTS:
                self.check_header_name(path + (index,), entry)
            elif not isinstance(entry, str):
                self.error(path + (index,), "%s is %s, but entries of this list are names" % (
                    describe_value(entry), type_phrase(entry)), "write each entry as a string")
            else:
                self.check_enum(format_path(path) + "[]", path + (index,), entry)

    def check_user_header_mappings(self, path, entries):
        fields = self.catalog.keys(MAPPING_ENTRY)
        for index, entry in enumerate(entries):
            entry_path = path + (index,)
            if not isinstance(entry, dict):
                self.error(entry_path, "%s is %s, not a mapping" % (describe_value(entry), type_phrase(entry)),
                           "write each entry as {header_name: ..., litellm_user_role: ...}")
                continue
            for key in entry:
                if key not in fields:
                    close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.75)
                    self.error(entry_path + (str(key),), "unknown field '%s' in a user header mapping" % key,
                               "did you mean '%s'?" % close[0] if close else
                               "a mapping has only header_name and litellm_user_role")
            for required in ("header_name", "litellm_user_role"):
                if required not in entry:
                    self.error(entry_path + (required,), "the mapping has no %s" % required,
                               "add %s to the mapping" % required)
            if "header_name" in entry:
                self.check_header_name(entry_path + ("header_name",), entry["header_name"])
            role = entry.get("litellm_user_role")
            if "litellm_user_role" in entry and (not isinstance(role, str) or role not in self.catalog.enums.get(
                    "%s.litellm_user_role" % MAPPING_ENTRY, ())):
                self.error(entry_path + ("litellm_user_role",),
                           "%s is not a role LiteLLM maps headers to; the proxy would accept it and never "
                           "attribute the request" % describe_value(role),
                           "use 'internal_user' (the request's user) or 'customer' (the end user)")

    def check_model_list(self, path, entries):
        fields = self.catalog.keys(MODEL_ENTRY)
        for index, entry in enumerate(entries):
            entry_path = path + (index,)
            if not isinstance(entry, dict):
                self.error(entry_path, "%s is %s, not a model entry" % (describe_value(entry), type_phrase(entry)),
                           "write each entry as {model_name: ..., litellm_params: {model: ...}}")
                continue
            for key in entry:
                if fields and key not in fields:
                    close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.75)
                    self.error(entry_path + (str(key),), "unknown field '%s' in a model_list entry" % key,
                               "did you mean '%s'?" % close[0] if close else
                               "use model_name, litellm_params and model_info")
            if not isinstance(entry.get("model_name"), str) or not entry.get("model_name"):
                self.error(entry_path + ("model_name",), "the entry has no model_name string (got %s)"
                           % describe_value(entry.get("model_name")), "name the model clients request")
            params = entry.get("litellm_params")
            if not isinstance(params, dict):
                self.error(entry_path + ("litellm_params",), "the entry has no litellm_params mapping (got %s)"
                           % describe_value(params), "add litellm_params with at least model: provider/model")
            elif not isinstance(params.get("model"), str) or not params.get("model"):
                self.error(entry_path + ("litellm_params", "model"), "litellm_params has no model string (got %s)"
                           % describe_value(params.get("model")), "set model to provider/model, such as openai/gpt-4o")

    # Secrets

    def check_secret(self, path, key, value, in_container=False):
        """Report credentials written as literals anywhere below `path`, because they belong in a Secret.

        A value is a credential when its key names one (``SECRET_KEY``), when it sits below a key whose
        values are all credentials (``SECRET_CONTAINER_KEY``), or when it is a URL with a password in it.
        """
        in_container = in_container or bool(SECRET_CONTAINER_KEY.search(key.lower()))
        if isinstance(value, dict):
            for child_key, child_value in value.items():
                if isinstance(child_key, str):
                    self.check_secret(path + (child_key,), child_key, child_value, in_container)
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.check_secret(path + (index,), key, item, in_container)
            return
        if not isinstance(value, str) or ENV_REFERENCE.match(value) or value.strip().lower() in _QUOTED_BOOLEANS:
            return
        if not (in_container or SECRET_KEY.search(key.lower())):
            if URL_WITH_PASSWORD.match(value) and path not in REDIS_URL_PATHS:
                self.error(path, "the URL carries a password in plain text (value hidden)",
                           "put the URL in a Kubernetes Secret, expose it as an environment variable "
                           "(litellm_env_from_secrets) and write os.environ/NAME here", hidden_value=value)
            return
        if value.startswith("os.environ/"):
            self.error(path, "%s is not a valid environment variable reference" % describe_value(value),
                       "write os.environ/NAME, where NAME has only letters, digits and underscores")
            return
        self.error(path, "a credential is written here as a literal value (value hidden)",
                   SECRET_FIXES.get(path, "store it in a Kubernetes Secret, expose it to the proxy as an environment "
                                          "variable (litellm_env_from_secrets) and write os.environ/NAME here"),
                   hidden_value=value)
