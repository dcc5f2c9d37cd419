# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find variables that look like the collection's but that no role reads, such as a misspelled name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib


def unknown_variables(names, known, prefixes):
    """Return a description of each name with one of ``prefixes`` that is not in ``known``, sorted.

    A close known name is suggested, as in "litellm_replica (did you mean litellm_replicas?)".
    """
    known = sorted(set(known))
    starts = tuple("%s_" % prefix for prefix in prefixes)
    found = []
    for name in sorted(set(names)):
        if not isinstance(name, str) or not name.startswith(starts) or name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        found.append("%s (did you mean %s?)" % (name, close[0]) if close else name)
    return found


class FilterModule:
    def filters(self):
        return {"unknown_variables": unknown_variables}
