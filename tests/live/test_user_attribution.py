"""Per-user attribution of requests that carry Open WebUI's user headers, on the real proxy.

With the designed settings, the value of X-OpenWebUI-User-Id becomes the request's user, the
e-mail the end user, and all three headers become spend tags of the logged request. Two mistakes
that the real proxy accepts without a word break this, and the merge module rejects both.
"""

import copy
import http.client
import json
import re
import uuid

import pytest

from helpers.playbooks import run_playbook
from processes import (
    MASTER_KEY,
    MOCK_MODEL,
    MOCK_REPLY,
    build_proxy_config,
    http_get,
    live_fragment,
    load_default_fragments,
)

pytestmark = pytest.mark.live

# Header names as Open WebUI sends them (ENABLE_FORWARD_USER_INFO_HEADERS), and two other spellings
# that clients or proxies in between produce. HTTP header names are case-insensitive.
SPELLINGS = {
    "designed": ("X-OpenWebUI-User-Id", "X-OpenWebUI-User-Email", "X-OpenWebUI-User-Name"),
    "lower": ("x-openwebui-user-id", "x-openwebui-user-email", "x-openwebui-user-name"),
    "upper": ("X-OPENWEBUI-USER-ID", "X-OPENWEBUI-USER-EMAIL", "X-OPENWEBUI-USER-NAME"),
}
TAG_NAMES = ("x-openwebui-user-id", "x-openwebui-user-email", "x-openwebui-user-name")
REQUEST_METRIC = "litellm_proxy_total_requests_metric_total"


class OpenWebUIUser:
    """A user with values unique to one test, so that its traces cannot come from another test."""

    def __init__(self, label):
        suffix = uuid.uuid4().hex[:8]
        self.id = "u-%s-%s" % (label, suffix)
        self.email = "%s-%s@example.org" % (label, suffix)
        self.name = "Alice %s" % suffix

    def headers(self, spelling):
        id_header, email_header, name_header = SPELLINGS[spelling]
        return {id_header: self.id, email_header: self.email, name_header: self.name}

    def expected_tags(self):
        return ["%s: %s" % (tag, value) for tag, value in zip(TAG_NAMES, (self.id, self.email, self.name))]


def send_chat(proxy, extra_headers):
    """POST a chat completion with the header names exactly as given; return (status, body)."""
    body = json.dumps({"model": MOCK_MODEL, "messages": [{"role": "user", "content": "Hello"}]})
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + MASTER_KEY}
    headers.update(extra_headers)
    connection = http.client.HTTPConnection(proxy.host, proxy.port, timeout=30)
    try:
        connection.request("POST", "/chat/completions", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def metric_samples(proxy, name):
    """Return the label dicts of every sample of metric ``name`` that the proxy serves now."""
    status, text = http_get(proxy.url + "/metrics/")
    assert status == 200, text[:500]
    samples = []
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels = line[len(name) + 1: line.rindex("}")]
            samples.append(dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels)))
    return samples


def redis_key_exists(redis, key):
    return redis.command_reply(b"EXISTS", key.encode()) == b":1"


def logged_request_of(receiver, user, timeout=20):
    """Wait for the generic_api log entry of ``user``'s request, found by its e-mail as end user or tag."""
    def matches(entry):
        tags = entry.get("request_tags") or []
        return entry.get("end_user") == user.email or any(user.email in tag for tag in tags)

    return receiver.wait_for(matches, timeout=timeout)


# ---- the designed settings ----


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_openwebui_headers_attribute_request(spelling, designed_proxy, shared_redis, log_receiver):
    user = OpenWebUIUser(spelling)

    status, reply = send_chat(designed_proxy, user.headers(spelling))
    assert status == 200, reply
    assert reply["choices"][0]["message"]["content"] == MOCK_REPLY

    logged = logged_request_of(log_receiver, user)
    for tag in user.expected_tags():
        assert tag in logged["request_tags"]
    assert logged["end_user"] == user.email
    assert logged["metadata"]["user_api_key_user_id"] == user.id

    assert redis_key_exists(shared_redis, "{user:%s}:tokens" % user.id)
    assert redis_key_exists(shared_redis, "{end_user:%s}:tokens" % user.email)

    samples = metric_samples(designed_proxy, REQUEST_METRIC)
    chat_samples = [s for s in samples if s.get("user") == user.id and s.get("route") == "/chat/completions"]
    assert len(chat_samples) == 1, samples


# ---- mistakes the proxy accepts silently ----


def misspelled_key(config):
    """Return ``config`` with extra_spend_tag_headers spelled extra_spend_tags_headers."""
    broken = copy.deepcopy(config)
    settings = broken["litellm_settings"]
    settings["extra_spend_tags_headers"] = settings.pop("extra_spend_tag_headers")
    return broken


def wrong_role(config):
    """Return ``config`` with the user id header mapped to the role proxy_admin."""
    broken = copy.deepcopy(config)
    for mapping in broken["general_settings"]["user_header_mappings"]:
        if mapping["header_name"] == "X-OpenWebUI-User-Id":
            mapping["litellm_user_role"] = "proxy_admin"
    return broken


MISTAKE_FRAGMENTS = {
    "misspelled key": {
        "name": "team-tags",
        "remove": ["litellm_settings.extra_spend_tag_headers"],
        "settings": {"litellm_settings": {"extra_spend_tags_headers": list(TAG_NAMES)}},
    },
    "wrong role": {
        "name": "team-roles",
        "remove": ["general_settings.user_header_mappings[X-OpenWebUI-User-Id]"],
        "settings": {"general_settings": {"user_header_mappings": [
            {"header_name": "X-OpenWebUI-User-Id", "litellm_user_role": "proxy_admin"},
        ]}},
    },
}
EXPECTED_ERRORS = {
    "misspelled key": "litellm_settings.extra_spend_tags_headers (fragment 'team-tags'): unknown key",
    "wrong role": (
        "general_settings.user_header_mappings[0].litellm_user_role (fragment 'team-roles'): "
        "'proxy_admin' is not a role LiteLLM maps headers to"
    ),
}


@pytest.fixture(scope="module")
def designed_config(shared_redis):
    result = build_proxy_config(shared_redis.host, shared_redis.port, [live_fragment()])
    assert result.errors == []
    return result.config


@pytest.mark.parametrize("mistake", sorted(MISTAKE_FRAGMENTS))
def test_merge_rejects_mistake(mistake, shared_redis):
    extra_fragments = [live_fragment(), MISTAKE_FRAGMENTS[mistake]]

    result = build_proxy_config(shared_redis.host, shared_redis.port, extra_fragments)
    errors = [problem.format() for problem in result.errors]
    assert result.config is None
    assert len(errors) == 1, errors
    assert errors[0].startswith(EXPECTED_ERRORS[mistake])

    fragments = load_default_fragments(shared_redis.host, shared_redis.port) + extra_fragments
    task = {"name": "Merge the settings", "aigateway.litellm.litellm_config": {"fragments": fragments}}
    play = {"name": "Merge", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task]}
    module_result = run_playbook([play]).task_result("Merge the settings")
    assert module_result["failed"] is True
    assert EXPECTED_ERRORS[mistake] in module_result["msg"]


def test_misspelled_key_loses_spend_tags(designed_config, shared_redis, log_receiver, start_proxy):
    proxy = start_proxy(misspelled_key(designed_config), name="misspelled-key")
    user = OpenWebUIUser("typo")

    status, reply = send_chat(proxy, user.headers("designed"))
    assert status == 200, reply

    logged = logged_request_of(log_receiver, user)
    openwebui_tags = [tag for tag in logged["request_tags"] if tag.startswith("x-openwebui-")]
    assert openwebui_tags == []
    # The user header mapping is intact, so only the spend tags are lost.
    assert logged["metadata"]["user_api_key_user_id"] == user.id


def test_wrong_role_loses_user(designed_config, shared_redis, log_receiver, start_proxy):
    proxy = start_proxy(wrong_role(designed_config), name="wrong-role")
    user = OpenWebUIUser("role")

    status, reply = send_chat(proxy, user.headers("designed"))
    assert status == 200, reply

    logged = logged_request_of(log_receiver, user)
    assert logged["metadata"]["user_api_key_user_id"] != user.id
    assert not redis_key_exists(shared_redis, "{user:%s}:tokens" % user.id)
    samples = metric_samples(proxy, REQUEST_METRIC)
    assert [s for s in samples if s.get("user") == user.id] == []
    # The e-mail mapping (role customer) still works.
    assert logged["end_user"] == user.email
