"""A stand-in for the AWX REST API that records every request, for testing playbooks/awx_setup.yml.

This is not AWX. It serves, on 127.0.0.1, the part of AWX's /api/v2/ that the awx.awx modules the setup
playbook uses (execution_environment, project, inventory, host, job_template, schedule) and the
awx.awx.controller_api lookup call, in the shapes awx.awx's module_utils/controller_api.py reads:

- list views ``GET /api/v2/<collection>/?<field>=<value>`` with ``count``, ``next``, ``previous`` and
  ``results``, filtered by exact field values and by ``or__id``/``or__name`` as awx.awx sends them;
- ``POST /api/v2/<collection>/`` (201 with the new object) and ``PATCH /api/v2/<collection>/<id>/`` (200);
- objects with ``id``, ``type``, ``url``, ``related`` and ``summary_fields``; projects with
  ``summary_fields.current_update`` and ``GET /api/v2/project_updates/<id>/``, which reports the update
  as successful;
- job template sub-resources: ``survey_spec`` (GET, POST and DELETE return 200) and the association
  lists ``credentials`` and ``notification_templates_*`` (GET lists, POST ``{id}`` or
  ``{id, disassociate: true}`` returns 204);
- ``GET /api/v2/unified_job_templates/`` over the job templates;
- the ``X-API-Product-Name``/``X-API-Product-Version`` headers awx.awx compares with its own version, and
  401 for a request without the expected bearer token.

Anything else returns 404, so a call the playbook makes that this stand-in does not implement fails the test.
It does not run jobs, check permissions or validate fields the way AWX does.
"""

import copy
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API = "/api/v2/"
AWX_VERSION = "24.6.1"

# Singular object types of the collections, as AWX reports them in "type".
TYPES = {
    "organizations": "organization",
    "execution_environments": "execution_environment",
    "projects": "project",
    "project_updates": "project_update",
    "inventories": "inventory",
    "hosts": "host",
    "credentials": "credential",
    "job_templates": "job_template",
    "schedules": "schedule",
    "notification_templates": "notification_template",
}
ASSOCIATIONS = ("credentials", "notification_templates_started", "notification_templates_success",
                "notification_templates_error", "labels", "instance_groups")


class FakeAWX:
    """The stand-in's state: stored objects and the recorded requests. Use it as a context manager."""

    def __init__(self, token):
        self.token = token
        self.requests = []
        self.objects = {name: {} for name in TYPES}
        self.surveys = {}
        self.associations = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.add("organizations", name="Default", description="")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()

    def add(self, collection, **fields):
        """Store an object as if it existed in AWX before the test, and return it."""
        with self._lock:
            return self._create(collection, fields)

    def find(self, collection, **fields):
        """Return the stored objects of a collection whose fields have these values."""
        return [item for item in self.objects[collection].values()
                if all(item.get(key) == value for key, value in fields.items())]

    def writes(self):
        """Return the recorded requests that change something (POST, PATCH, PUT, DELETE)."""
        return [request for request in self.requests if request["method"] != "GET"]

    def posts(self, path):
        return [request["body"] for request in self.requests if request["method"] == "POST" and request["path"] == path]

    def _create(self, collection, fields):
        object_id = next(self._ids)
        url = "%s%s/%d/" % (API, collection, object_id)
        item = {"id": object_id, "type": TYPES[collection], "url": url, "related": {}, "summary_fields": {},
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "description": ""}
        item.update(fields)
        if collection == "projects":
            update = self._create("project_updates", {"status": "successful", "failed": False, "finished": True,
                                                      "scm_revision": "0" * 40})
            item.setdefault("scm_revision", "")
            item["summary_fields"]["current_update"] = {"id": update["id"], "status": "successful"}
            item["related"]["update"] = url + "update/"
        if collection == "job_templates":
            item["related"]["survey_spec"] = url + "survey_spec/"
            for name in ASSOCIATIONS:
                item["related"][name] = "%s%s/" % (url, name)
        self.objects[collection][object_id] = item
        return item

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def do_PATCH(self):
                fake._handle(self, "PATCH")

            def do_DELETE(self):
                fake._handle(self, "DELETE")

        return Handler

    def _handle(self, handler, method):
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append({"method": method, "path": parts.path, "query": query, "body": body,
                                  "authorization": handler.headers.get("Authorization")})
            if handler.headers.get("Authorization") != "Bearer %s" % self.token:
                status, payload = 401, {"detail": "Authentication credentials were not provided."}
            else:
                status, payload = self._route(method, parts.path, query, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("X-API-Product-Name", "AWX")
        handler.send_header("X-API-Product-Version", AWX_VERSION)
        handler.end_headers()
        handler.wfile.write(data)

    def _route(self, method, path, query, body):
        if not path.startswith(API):
            return 404, {"detail": "Not found."}
        segments = [segment for segment in path[len(API):].split("/") if segment]
        if segments == ["unified_job_templates"] and method == "GET":
            return 200, self._list(self.objects["job_templates"].values(), query)
        if not segments or segments[0] not in TYPES:
            return 404, {"detail": "Not found."}
        collection = segments[0]

        if len(segments) == 1:
            if method == "GET":
                return 200, self._list(self.objects[collection].values(), query)
            if method == "POST":
                return 201, copy.deepcopy(self._create(collection, dict(body or {})))
            return 405, {"detail": 'Method "%s" not allowed.' % method}

        try:
            item = self.objects[collection][int(segments[1])]
        except (KeyError, ValueError):
            return 404, {"detail": "Not found."}
        if len(segments) == 2:
            if method == "GET":
                return 200, copy.deepcopy(item)
            if method == "PATCH":
                item.update(body or {})
                return 200, copy.deepcopy(item)
            return 405, {"detail": 'Method "%s" not allowed.' % method}

        sub_resource = segments[2]
        if collection == "job_templates" and sub_resource == "survey_spec":
            if method == "GET":
                return 200, copy.deepcopy(self.surveys.get(item["id"], {}))
            if method == "POST":
                self.surveys[item["id"]] = copy.deepcopy(body)
                return 200, None
            if method == "DELETE":
                self.surveys.pop(item["id"], None)
                return 200, None
        if sub_resource in ASSOCIATIONS:
            associated = self.associations.setdefault((collection, item["id"], sub_resource), [])
            target = "notification_templates" if sub_resource.startswith("notification_templates") else sub_resource
            if method == "GET":
                return 200, self._list([self.objects[target][i] for i in associated if i in self.objects[target]], query)
            if method == "POST":
                if body.get("disassociate"):
                    associated.remove(body["id"])
                elif body["id"] not in associated:
                    associated.append(body["id"])
                return 204, None
        return 404, {"detail": "Not found."}

    @staticmethod
    def _list(items, query):
        def matches(item):
            alternatives = {key[len("or__"):]: value for key, value in query.items() if key.startswith("or__")}
            if alternatives and not any(str(item.get(key)) == value for key, value in alternatives.items()):
                return False
            return all(str(item.get(key)) == value for key, value in query.items()
                       if not key.startswith("or__") and key not in ("page", "page_size"))

        results = [copy.deepcopy(item) for item in items if matches(item)]
        return {"count": len(results), "next": None, "previous": None, "results": results}
