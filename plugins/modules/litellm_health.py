#!/usr/bin/python
# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: litellm_health
short_description: Wait until a running LiteLLM proxy passes its health checks
version_added: 0.1.0
description:
  - Runs health checks against a LiteLLM proxy and polls until all of them pass in the same round or
    O(timeout) seconds pass. Each check is reported separately, with its HTTP status, the relevant body
    fields and the time its request took.
  - C(liveliness) passes when C(GET /health/liveliness) answers 200.
  - C(readiness) passes when C(GET /health/readiness) answers 200 with C(status) C(healthy).
  - C(db) passes when the readiness body reports C(db) C(connected). The proxy reports
    C(Not connected) when it has no database, so request this check only for a proxy with one.
  - C(cache) passes when C(GET /cache/ping), sent with the master key, answers 200 with C(status)
    C(healthy) and C(ping_response) true, that is when the proxy reaches its Redis cache. LiteLLM
    1.108.0 also writes one test entry into the cache on every ping.
  - C(metrics) passes when C(GET /metrics/) answers 200 with at least one C(litellm_) metric family,
    which needs C(prometheus) in C(litellm_settings.callbacks).
  - A redirect (3xx) fails the check and is reported with its status and C(Location). The module does not
    follow redirects.
  - The proxy is reached at O(url), or through the Kubernetes API server's service proxy when
    O(service) is set. The second way needs no network path from the controller to the Service, only
    access to the API server and RBAC permission C(get) on C(services/proxy) in the namespace.
options:
  url:
    description:
      - Base URL of the proxy's main port, for example C(http://litellm.litellm.svc:4000).
      - Exactly one of O(url) and O(service) is required.
    type: str
  health_url:
    description:
      - Base URL for the C(liveliness), C(readiness) and C(db) checks, for example the container image's
        separate health port (C(SEPARATE_HEALTH_APP=1)). Defaults to O(url).
    type: str
  service:
    description:
      - Reach the proxy through the API server's service proxy,
        C(/api/v1/namespaces/<namespace>/services/<name>:<port>/proxy/...), instead of O(url).
      - Connection options are those of the kubernetes.core collection (O(kubeconfig), O(context), O(host),
        O(api_key), ...) and the C(K8S_AUTH_*) environment variables.
    type: dict
    suboptions:
      namespace:
        description: Namespace of the Service.
        type: str
        required: true
      name:
        description: Name of the Service.
        type: str
        required: true
      port:
        description: The Service port that leads to the proxy's main port, as a number or a port name.
        type: raw
        default: 4000
      health_port:
        description:
          - The Service port for the C(liveliness), C(readiness) and C(db) checks, as a number or a port name.
            Defaults to O(service.port).
        type: raw
      scheme:
        description: Protocol the API server uses to reach the proxy.
        type: str
        choices: [http, https]
        default: http
  master_key:
    description:
      - The proxy's master key (or another key that may call C(/cache/ping)). Required for the C(cache) check
        and for O(metrics_auth=true).
    type: str
  master_key_header:
    description:
      - "Header that carries O(master_key). C(authorization) sends C(Authorization: Bearer <key>), and
        C(x-litellm-api-key) sends the key in LiteLLM's own header."
      - Defaults to C(authorization) with O(url) and to C(x-litellm-api-key) with O(service).
      - With O(service) only C(x-litellm-api-key) works. The API server takes the C(Authorization) header as
        its own credential and removes it from every request it authenticates, so it never reaches the proxy
        (observed with kube-apiserver 1.34, for token and client certificate authentication).
    type: str
    choices: [authorization, x-litellm-api-key]
  checks:
    description: The checks to run.
    type: list
    elements: str
    choices: [liveliness, readiness, db, cache, metrics]
    default: [liveliness, readiness, metrics]
  metrics_auth:
    description:
      - Send O(master_key) with the C(metrics) request. Use it when the proxy keeps
        C(litellm_settings.require_auth_for_metrics_endpoint) at its default (true).
    type: bool
    default: false
  timeout:
    description:
      - Maximum time in seconds to wait for all checks to pass. V(0) runs the checks once.
    type: float
    default: 60
  interval:
    description: Time in seconds between two rounds of checks.
    type: float
    default: 2
  request_timeout:
    description:
      - Maximum time in seconds that one request waits for a response. A request never waits past the
        deadline set by O(timeout) by more than one second.
    type: float
    default: 10
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the server the module connects to, that is the proxy with
        O(url) and the API server with O(service).
      - With O(url), unset means true. With O(service), unset means the C(K8S_AUTH_VERIFY_SSL) environment
        variable or the kubeconfig decides, as in kubernetes.core.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to the CA certificate that signed the server's certificate, for the proxy with O(url) and for
        the API server with O(service). With O(service) it can also come from C(K8S_AUTH_SSL_CA_CERT).
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate, presented to the proxy with O(url) and to the API server with O(service).
        With O(service) it can also come from C(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert). With O(service) it can also come from C(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
requirements:
  - kubernetes (Python client), with O(service) only
author:
  - aigateway maintainers (@aigateway)
notes:
  - The checks only read, apart from the cache test entry described above, so they run in check mode too.
    The module never reports C(changed).
  - The pip-installed proxy serves C(/health/*) on its main port only. The container image serves them on a
    second port (4001) when started with C(SEPARATE_HEALTH_APP=1). Point O(health_url) or
    O(service.health_port) there.
  - The Kubernetes client that O(service) uses follows redirects by itself. The module still fails the check
    and reports the first redirect, but the redirected page has then been requested once.
attributes:
  check_mode:
    description: Runs the same checks as without check mode, which change nothing apart from the cache test entry.
    support: full
  diff_mode:
    description: The module changes nothing, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Wait until the proxy is alive, ready and serves its metrics
  aigateway.litellm.litellm_health:
    url: http://127.0.0.1:4000

- name: Check the proxy, its Redis cache and its metrics through the API server
  aigateway.litellm.litellm_health:
    service:
      namespace: litellm
      name: litellm
      port: 4000
      health_port: 4001
    master_key: "{{ litellm_master_key }}"
    checks: [liveliness, readiness, cache, metrics]
    timeout: 300
  register: litellm_health

- name: Show how many LiteLLM metric families the proxy serves
  ansible.builtin.debug:
    msg: "{{ litellm_health.checks.metrics.families }} families, for example {{ litellm_health.checks.metrics.family_names }}"
"""

RETURN = r"""
checks:
  description:
    - The result of each requested check in the last round, keyed by check name.
    - Every result has C(ok), C(status) and C(elapsed). A failed check also has C(problem) and, when the
      proxy answered, C(body).
  returned: always
  type: dict
  contains:
    liveliness:
      description: Result of the C(liveliness) check. C(message) is the decoded JSON body ("I'm alive!").
      returned: when requested
      type: dict
      sample: {ok: true, status: 200, elapsed: 0.004, message: "I'm alive!"}
    readiness:
      description: Result of the C(readiness) check. C(health) is the body's C(status), C(db) its C(db).
      returned: when requested
      type: dict
      sample: {ok: true, status: 200, elapsed: 0.005, health: healthy, db: Not connected}
    db:
      description: Result of the C(db) check. C(db) is the readiness body's C(db).
      returned: when requested
      type: dict
      sample: {ok: false, status: 200, elapsed: 0.005, db: Not connected,
               problem: "200, db is \"Not connected\", expected 'connected', body: {...}"}
    cache:
      description: Result of the C(cache) check. C(health), C(cache_type) and C(ping_response) come from the body.
      returned: when requested
      type: dict
      sample: {ok: true, status: 200, elapsed: 0.02, health: healthy, cache_type: redis, ping_response: true}
    metrics:
      description:
        - Result of the C(metrics) check. C(families) is the number of C(litellm_) metric families,
          C(family_names) the first five of them in alphabetical order.
      returned: when requested
      type: dict
      sample: {ok: true, status: 200, elapsed: 0.03, families: 76,
               family_names: [litellm_api_key_budget_remaining_hours_metric, litellm_api_key_max_budget_metric]}
    ok:
      description: Whether the check passed (a key of every check result).
      returned: always
      type: bool
    status:
      description: HTTP status of the response, or null when no response came (a key of every check result).
      returned: always
      type: int
    elapsed:
      description: Seconds the check's request took (a key of every check result).
      returned: always
      type: float
    location:
      description: The C(Location) header of a redirect response.
      returned: when the proxy responded with a redirect (3xx)
      type: str
    problem:
      description: "What the check saw, for example C(503, body: {...}) or C(connection refused, GET http://...)."
      returned: when the check failed
      type: str
    body:
      description: The response body, cut to 300 characters.
      returned: when the check failed after the proxy responded
      type: str
attempts:
  description: Number of rounds of checks that ran.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds from the first round to the result.
  returned: always
  type: float
  sample: 4.1
target:
  description: Where the module sent the requests.
  returned: always
  type: str
  sample: http://127.0.0.1:4000
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import (
    CHECK_NAMES,
    DEFAULT_CHECKS,
    build_check_specs,
    validate_options,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_http import (
    AUTHORIZATION_HEADER,
    LITELLM_KEY_HEADER,
    UrlTarget,
    master_key_headers,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_poll import (
    format_failure,
    poll_checks,
    run_round,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_k8s import (
    CLIENT_CONFIG_ERRORS,
    KUBERNETES_IMPORT_ERROR,
    ServiceTarget,
    create_api_client,
    service_port_ref,
)

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
except ImportError:
    AUTH_ARG_SPEC = None


def argument_spec():
    spec = dict(AUTH_ARG_SPEC or {})
    spec.update(
        url=dict(type="str"),
        health_url=dict(type="str"),
        service=dict(
            type="dict",
            options=dict(
                namespace=dict(type="str", required=True),
                name=dict(type="str", required=True),
                port=dict(type="raw", default=4000),
                health_port=dict(type="raw"),
                scheme=dict(type="str", choices=["http", "https"], default="http"),
            ),
        ),
        master_key=dict(type="str", no_log=True),
        master_key_header=dict(type="str", choices=[AUTHORIZATION_HEADER, LITELLM_KEY_HEADER]),
        checks=dict(type="list", elements="str", choices=list(CHECK_NAMES), default=list(DEFAULT_CHECKS)),
        metrics_auth=dict(type="bool", default=False),
        timeout=dict(type="float", default=60),
        interval=dict(type="float", default=2),
        request_timeout=dict(type="float", default=10),
        validate_certs=dict(type="bool", aliases=["verify_ssl"]),
        ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
        client_cert=dict(type="path", aliases=["cert_file"]),
        client_key=dict(type="path", aliases=["key_file"]),
    )
    return spec


def build_url_target(params, key_headers):
    validate_certs = params["validate_certs"]
    return UrlTarget(
        params["url"],
        params["health_url"],
        key_headers=key_headers,
        validate_certs=True if validate_certs is None else validate_certs,
        ca_cert=params["ca_cert"],
        client_cert=params["client_cert"],
        client_key=params["client_key"],
        secret=params["master_key"],
    )


def build_service_target(module, key_headers):
    if KUBERNETES_IMPORT_ERROR is not None or AUTH_ARG_SPEC is None:
        module.fail_json(
            msg=missing_required_lib("kubernetes and the kubernetes.core collection", reason="for the service option"),
            exception=str(KUBERNETES_IMPORT_ERROR),
        )

    service = module.params["service"]
    try:
        port = service_port_ref(service["port"], "service.port")
        health_port = service_port_ref(service["health_port"], "service.health_port") if service["health_port"] else port
    except ValueError as error:
        module.fail_json(msg=str(error))

    auth_params = {name: module.params.get(name) for name in AUTH_ARG_SPEC}
    try:
        api_client = create_api_client(auth_params)
    except CLIENT_CONFIG_ERRORS as error:
        module.fail_json(msg="Could not create a Kubernetes API client: %s" % error)

    return ServiceTarget(
        api_client,
        service["namespace"],
        service["name"],
        port,
        health_port,
        scheme=service["scheme"],
        key_headers=key_headers,
        secret=module.params["master_key"],
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("url", "service"), ("health_url", "service")],
        required_one_of=[("url", "service")],
        required_by={"health_url": "url"},
        supports_check_mode=True,
    )
    params = module.params

    problems = validate_options(params["checks"], params["master_key"], params["metrics_auth"])
    if params["timeout"] < 0 or params["interval"] <= 0 or params["request_timeout"] <= 0:
        problems.append("timeout must be 0 or more, interval and request_timeout more than 0 (seconds)")
    if problems:
        module.fail_json(msg="; ".join(problems))

    header = params["master_key_header"] or (LITELLM_KEY_HEADER if params["service"] else AUTHORIZATION_HEADER)
    if params["service"] and header == AUTHORIZATION_HEADER:
        module.fail_json(
            msg="master_key_header: authorization does not work with service, because the API server reads the "
            "Authorization header as its own credential and removes it before it proxies the request; "
            "use x-litellm-api-key (the default with service)"
        )
    key_headers = master_key_headers(params["master_key"], header)

    if params["service"]:
        target = build_service_target(module, key_headers)
    else:
        target = build_url_target(params, key_headers)

    specs = build_check_specs(params["checks"], params["metrics_auth"])
    outcome = poll_checks(
        lambda deadline: run_round(specs, target.send, deadline, params["request_timeout"]),
        params["timeout"],
        params["interval"],
    )

    result = dict(
        changed=False,
        checks={name: check.as_dict() for name, check in outcome.results.items()},
        attempts=outcome.attempts,
        elapsed=round(outcome.elapsed, 3),
        target=target.describe(),
    )
    if not outcome.ok:
        module.fail_json(msg=format_failure(outcome, params["timeout"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
