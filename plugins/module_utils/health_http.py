# Copyright: aigateway maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send the LiteLLM health checks' requests straight to the proxy's URL."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client
import socket
import ssl
import urllib.error

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request
from ansible_collections.aigateway.litellm.plugins.module_utils.health_checks import (
    HEALTH_PORT,
    HttpResponse,
    RequestFailure,
    redact,
)

AUTHORIZATION_HEADER = "authorization"
LITELLM_KEY_HEADER = "x-litellm-api-key"
# Metrics pages are tens of kilobytes. The limit bounds memory use when a wrong URL serves something large.
MAX_BODY_BYTES = 8 * 1024 * 1024


def master_key_headers(master_key, header):
    """Return the request headers that carry the master key in ``header``, or {} without a key.

    LiteLLM accepts the key as ``Authorization: Bearer <key>`` and as ``x-litellm-api-key: <key>``.
    """
    if not master_key:
        return {}
    if header == AUTHORIZATION_HEADER:
        return {"Authorization": "Bearer %s" % master_key}
    if header == LITELLM_KEY_HEADER:
        return {"x-litellm-api-key": master_key}
    raise ValueError("unknown master key header %r; use %s or %s" % (header, AUTHORIZATION_HEADER, LITELLM_KEY_HEADER))


class UrlTarget:
    """The proxy reached at a URL, with an optional second URL for the /health/* routes."""

    def __init__(self, url, health_url=None, key_headers=None, validate_certs=True, ca_cert=None,
                 client_cert=None, client_key=None, secret=None):
        self.url = url.rstrip("/")
        self.health_url = (health_url or url).rstrip("/")
        self.key_headers = key_headers or {}
        self.validate_certs = validate_certs
        self.ca_cert = ca_cert
        self.client_cert = client_cert
        self.client_key = client_key
        self.secret = secret

    def describe(self):
        """Return the target for messages, for example "http://litellm:4000"."""
        if self.health_url == self.url:
            return self.url
        return "%s (health routes at %s)" % (self.url, self.health_url)

    def request_url(self, spec):
        """Return the URL of a check's request."""
        base = self.health_url if spec.port == HEALTH_PORT else self.url
        return base + spec.path

    def send(self, spec, timeout):
        """GET the check's URL and return an HttpResponse, or a RequestFailure when no response came.

        Redirects are not followed: a 3xx comes back as an HttpResponse with its Location.
        """
        url = self.request_url(spec)
        headers = dict(self.key_headers) if spec.authenticated else {}
        try:
            response = Request().open(
                "GET",
                url,
                headers=headers,
                timeout=timeout,
                validate_certs=self.validate_certs,
                ca_path=self.ca_cert,
                client_cert=self.client_cert,
                client_key=self.client_key,
                follow_redirects="none",
                use_netrc=False,
            )
            with response:
                return HttpResponse(response.status, _lower_keys(response.headers), self._read(response))
        except urllib.error.HTTPError as error:
            # urllib raises HTTPError for every 3xx (redirects are off), 4xx and 5xx response.
            headers = _lower_keys(error.headers or {})
            body = self._read(error) if error.fp is not None else ""
            redirect = headers.get("location") if 300 <= error.code < 400 else None
            return HttpResponse(error.code, headers, body, redirect_location=redirect)
        except urllib.error.URLError as error:
            return RequestFailure(describe_network_error(error.reason, timeout), url)
        except (UrlsConnectionError, http.client.HTTPException, OSError) as error:
            return RequestFailure(describe_network_error(error, timeout), url)

    def _read(self, response):
        return redact(response.read(MAX_BODY_BYTES).decode("utf-8", errors="replace"), self.secret)


def describe_network_error(error, timeout):
    """Describe a failure to get an HTTP response in the usual words ("connection refused", ...)."""
    if isinstance(error, str):
        return error
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out after %s s waiting for a response" % timeout
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed without a response"
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    if isinstance(error, ssl.SSLCertVerificationError):
        return "TLS certificate verification failed: %s; set ca_cert, or validate_certs: false" % error.verify_message
    if isinstance(error, socket.gaierror):
        return "host name lookup failed: %s" % error.strerror
    return "%s: %s" % (type(error).__name__, error)


def _lower_keys(headers):
    return {str(name).lower(): value for name, value in headers.items()}
