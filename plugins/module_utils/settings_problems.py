# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problems found while merging and validating LiteLLM settings fragments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ERROR = "error"
WARNING = "warning"

_MAX_VALUE_CHARS = 80


def describe_value(value):
    """Return a short, readable rendering of a settings value for messages."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, dict):
        text = "a mapping with keys %s" % ", ".join(sorted(str(k) for k in value)) if value else "{}"
    elif isinstance(value, list):
        text = "a list of %d item(s)" % len(value) if value else "[]"
    else:
        text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[:_MAX_VALUE_CHARS - 3] + "..."
    return text


def describe_shape(value):
    """Describe a value without its text, for places where a user may have pasted a credential.

    A string is described by its length; any other value as describe_value does, which never shows
    the contents of a mapping or list.
    """
    if isinstance(value, str):
        return "a string of %d characters" % len(value)
    return describe_value(value)


def type_name(value):
    """Return the YAML name of a value's type, as users see it in their settings."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    if value is None:
        return "null"
    return type(value).__name__


def _end_sentence(text):
    return text if text.endswith((".", "?", "!")) else text + "."


def type_phrase(value):
    """Return the type name with its article, such as 'an integer' or 'a string'."""
    name = type_name(value)
    if name == "null":
        return "null"
    return ("an " if name[0] in "aeiou" else "a ") + name


class Problem:
    """One error or warning about a setting, tied to the fragment that supplied it."""

    def __init__(self, severity, path, fragment, message, fix=None, hidden_value=None):
        self.severity = severity
        self.path = path
        self.fragment = fragment
        self.message = message
        self.fix = fix
        # A credential that the message leaves out; callers mask it wherever the input is echoed.
        self.hidden_value = hidden_value

    @property
    def is_error(self):
        return self.severity == ERROR

    def format(self):
        """Render the problem as one line: path, fragment, what is wrong and how to fix it."""
        where = self.path or "(root)"
        text = "%s (fragment '%s'): %s" % (where, self.fragment, self.message)
        text = _end_sentence(text)
        if self.fix:
            text = _end_sentence("%s Fix: %s" % (text, self.fix))
        return text

    def as_dict(self):
        return {
            "severity": self.severity,
            "path": self.path,
            "fragment": self.fragment,
            "message": self.message,
            "fix": self.fix,
        }

    def __repr__(self):
        return "Problem(%s, %s)" % (self.severity, self.format())


def format_report(problems):
    """Join the errors of a problem list into one message, one numbered line per error."""
    errors = [p for p in problems if p.is_error]
    lines = ["%d invalid LiteLLM setting(s); nothing was applied:" % len(errors)]
    for number, problem in enumerate(errors, start=1):
        lines.append("  %d. %s" % (number, problem.format()))
    return "\n".join(lines)
