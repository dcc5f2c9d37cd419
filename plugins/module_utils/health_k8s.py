# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send the LiteLLM health checks' requests through the Kubernetes API server's service proxy.

A request for ``/health/readiness`` goes to
``/api/v1/namespaces/<namespace>/services/<name>:<port>/proxy/health/readiness`` on the API server,
which forwards it to one endpoint of the Service. The API server authenticates the caller first
and removes the ``Authorization`` header from every request it authenticated, whatever the method
(token or client certificate), so a key sent there never reaches the proxy. That is why this path sends
the master key in LiteLLM's ``x-litellm-api-key`` header. The API server forwards that header.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import (
    HEALTH_PORT,
    HttpResponse,
    RequestFailure,
    redact,
)
from ansible_collections.aigateway.litellm.plugins.module_utils.health_http import describe_network_error

try:
    import kubernetes
    import urllib3
    from kubernetes.client.exceptions import ApiException

    # NOTE: these are internal helpers of kubernetes.core (present in 2.4 to 6.2). They apply the
    # module options, the K8S_AUTH_* environment variables, the kubeconfig and the in-cluster
    # configuration exactly as kubernetes.core's modules do. The public get_api_client() does the
    # same but also runs API discovery (/version, /api, /apis) before the first request.
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import (
        _create_auth_spec,
        _create_configuration,
        _create_headers,
        _set_header,
    )

    # What building a client raises for a missing, unreadable or invalid kubeconfig or certificate.
    CLIENT_CONFIG_ERRORS = (kubernetes.config.ConfigException, OSError, ValueError)
    KUBERNETES_IMPORT_ERROR = None
except ImportError as error:
    CLIENT_CONFIG_ERRORS = ()
    KUBERNETES_IMPORT_ERROR = error

# A port given by name must be an IANA service name as Kubernetes defines it.
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")


def service_port_ref(value, option):
    """Return a Service port as the service proxy path expects it: a number or a port name.

    Raises ValueError naming ``option`` when the value is neither a TCP port number nor a valid
    port name.
    """
    text = str(value).strip()
    if text.isdigit():
        if 1 <= int(text) <= 65535:
            return str(int(text))
        raise ValueError("%s: %s is not a valid TCP port, use a number from 1 to 65535 or the port's name" % (option, text))
    if _PORT_NAME.match(text) and "--" not in text:
        return text
    raise ValueError(
        "%s: %r is neither a port number nor a valid port name (lower-case letters, digits and '-', at most 15)"
        % (option, value)
    )


def service_proxy_name(scheme, name, port):
    """Return the ``<name>:<port>`` part of a service proxy path, with ``https:`` in front for TLS."""
    if scheme == "https":
        return "https:%s:%s" % (name, port)
    return "%s:%s" % (name, port)


def create_api_client(auth_params):
    """Create a kubernetes ApiClient from kubernetes.core's connection options.

    ``auth_params`` contains the options of kubernetes.core's AUTH_ARG_SPEC (None when unset).
    Unset options fall back to the K8S_AUTH_* environment variables, then to the kubeconfig or
    the in-cluster configuration. Raises kubernetes.config.ConfigException when none is usable.
    """
    auth = _create_auth_spec(None, **auth_params)
    configuration = _create_configuration(auth)
    # The client percent-encodes every "/" and ":" in path parameters by default. kube-apiserver
    # decodes them again, but the plain "<name>:<port>/proxy/health/readiness" is what kubectl sends
    # and what proxies in front of the API server expect.
    configuration.safe_chars_for_path_param = "/:"
    api_client = kubernetes.client.ApiClient(configuration)
    for header, value in _create_headers(None, **auth_params).items():
        _set_header(api_client, header, value)
    return api_client


class ServiceTarget:
    """The proxy reached through the API server's service proxy."""

    def __init__(self, api_client, namespace, name, port, health_port=None, scheme="http",
                 key_headers=None, secret=None):
        self.api_client = api_client
        self.core = kubernetes.client.CoreV1Api(api_client)
        self.namespace = namespace
        self.name = name
        self.port = port
        self.health_port = health_port or port
        self.scheme = scheme
        self.key_headers = key_headers or {}
        self.secret = secret

    def describe(self):
        """Return the target for messages, for example "Service litellm/litellm port 4000 through the API server at https://..."."""
        ports = self.port if self.health_port == self.port else "%s (health routes on %s)" % (self.port, self.health_port)
        return "Service %s/%s port %s through the API server at %s" % (
            self.namespace, self.name, ports, self.api_client.configuration.host
        )

    def request_url(self, spec):
        """Return the API server URL of a check's request."""
        port = self.health_port if spec.port == HEALTH_PORT else self.port
        return "%s/api/v1/namespaces/%s/services/%s/proxy%s" % (
            self.api_client.configuration.host,
            self.namespace,
            service_proxy_name(self.scheme, self.name, port),
            spec.path,
        )

    def send(self, spec, timeout):
        """GET the check's path through the service proxy and return an HttpResponse or a RequestFailure.

        Errors that the API server reports itself (no endpoints, the proxy refused the connection,
        the caller may not use services/proxy) come back as a RequestFailure quoting its message,
        because no response came from the proxy.
        """
        port = self.health_port if spec.port == HEALTH_PORT else self.port
        headers = dict(self.key_headers) if spec.authenticated else {}
        url = self.request_url(spec)
        try:
            response = self.core.connect_get_namespaced_service_proxy_with_path(
                service_proxy_name(self.scheme, self.name, port),
                self.namespace,
                spec.path.lstrip("/"),
                _preload_content=False,
                _headers=headers,
                _request_timeout=timeout,
            )
            try:
                body = response.data.decode("utf-8", errors="replace")
            finally:
                response.release_conn()
        except ApiException as error:
            return self._error_response(error, url)
        except urllib3.exceptions.HTTPError as error:
            reason = getattr(error, "reason", None) or error
            return RequestFailure("no response from the API server: %s" % describe_urllib3_error(reason, timeout), url)

        # NOTE: urllib3, which the kubernetes client uses, follows redirects itself and offers no
        # per-request switch here. The first redirect stays in the response's retry history, and
        # the check reports that redirect instead of the page it led to.
        history = getattr(response.retries, "history", None) or ()
        for entry in history:
            if entry.status is not None and 300 <= entry.status < 400:
                return HttpResponse(entry.status, {"location": entry.redirect_location}, "",
                                    redirect_location=entry.redirect_location)

        headers = {str(name).lower(): value for name, value in response.headers.items()}
        return HttpResponse(response.status, headers, redact(body, self.secret))

    def _error_response(self, error, url):
        # The kubernetes client reports TLS failures as an ApiException with status 0.
        if not error.status:
            return RequestFailure("no response from the API server: %s" % error.reason, url)
        body = error.body.decode("utf-8", errors="replace") if isinstance(error.body, bytes) else (error.body or "")
        status_object = _kubernetes_status(body)
        if status_object is not None:
            return RequestFailure(
                "API server answered %s: %s" % (error.status, status_object.get("message") or status_object.get("reason")),
                url,
            )
        headers = {str(name).lower(): value for name, value in (error.headers or {}).items()}
        return HttpResponse(error.status, headers, redact(body, self.secret))


def describe_urllib3_error(error, timeout):
    """Describe a urllib3 connection error in the usual words."""
    # NewConnectionError is a subclass of urllib3's TimeoutError, so it is tested first.
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        cause = error.__cause__ or error.__context__
        if isinstance(cause, ConnectionRefusedError) or "Connection refused" in str(error):
            return "connection refused"
        return str(error)
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return "timed out after %s s waiting for a response" % timeout
    if isinstance(error, urllib3.exceptions.SSLError):
        return "TLS error: %s; set ca_cert, or validate_certs: false" % error
    if isinstance(error, Exception) and not isinstance(error, urllib3.exceptions.HTTPError):
        return describe_network_error(error, timeout)
    return str(error)


def _kubernetes_status(body):
    """Return the body as a dict when it is a Kubernetes Status object, else None."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if isinstance(value, dict) and value.get("kind") == "Status" and value.get("apiVersion") == "v1":
        return value
    return None
