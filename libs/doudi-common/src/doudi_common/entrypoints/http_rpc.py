"""A read over HTTP: the same method as its ``@rpc``, answered without the broker.

    @rpc
    @read_over_http
    def evaluate(self, id_number, on=None, known_at=None): ...

serves ``POST /rpc/evaluate`` on the service's ``WEB_SERVER_ADDRESS`` (nameko's
web server; unset or empty: no listener, every call comes through the broker).
The request is nameko's RPC request body (``{"args", "kwargs"}``, context data
as ``nameko.*`` headers); the answer is nameko's RPC reply (``{"result",
"error"}``, the error serialised as nameko does), so the caller
handles both transports the same way. As with ``@rpc``, the worker's unit of
work is finished before the answer goes out, and a database outage is a
``TransientError``. A malformed request is a 400 with a reason.

Why: a synchronous read through RabbitMQ costs the broker two routed messages
and both ends an AMQP publish and consume (issue 21: RabbitMQ alone spent as
much CPU on a person's eligibility read as the service). Writes stay on the bus
(their requests are kept in order and survive a service restart); only methods
that change nothing are offered here, by the service, one by one.
"""

from __future__ import annotations

import json
import sys
from functools import partial

from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, parse_address
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from doudi_common.db import finish_units_of_work
from doudi_common.entrypoints.outcomes import as_reply_error
from doudi_common.entrypoints.rpc import check_signature_fast, method_signature, reply_of
from doudi_common.errors import EXPECTED_ERRORS, TransientError

#: seconds an idle keep-alive connection stays open
KEEPALIVE_SECONDS = 300

#: nameko context data the caller may send as ``nameko.<key>`` headers
CONTEXT_KEYS = ("request_id", "traceparent", "call_id_stack")


class _Server(WebServer):
    """nameko's web server, listening only when ``WEB_SERVER_ADDRESS`` is set
    (empty: the service's reads go through the broker alone)."""

    @property
    def bind_addr(self):
        address = self.container.config.get("WEB_SERVER_ADDRESS")
        return parse_address(address) if address else None

    def start(self):
        if self.bind_addr is not None:
            super().start()

    def stop(self):
        if self._starting:
            super().stop()
        else:
            super(WebServer, self).stop()

    def get_wsgi_server(self, sock, wsgi_app, protocol=None, debug=False):
        from eventlet import wsgi
        from nameko.web.server import HttpOnlyProtocol

        # no access line per request (the callers log theirs); a keep-alive
        # connection idle this long is closed (the gateway opens another)
        return wsgi.Server(sock, sock.getsockname(), wsgi_app,
                           protocol=protocol or HttpOnlyProtocol, debug=debug,
                           log_output=False, keepalive=KEEPALIVE_SECONDS)

    def context_data_from_headers(self, request):
        out = {}
        for key in CONTEXT_KEYS:
            value = request.headers.get(f"nameko.{key}")
            if value is not None:
                out[key] = json.loads(value) if key == "call_id_stack" else value
        return out


class HttpRead(HttpRequestHandler):
    server = _Server()

    def __init__(self, **kwargs):
        super().__init__("POST", "", expected_exceptions=EXPECTED_ERRORS + (TransientError,),
                         **kwargs)

    def setup(self):
        super().setup()
        self._signature = method_signature(self)

    def check_signature(self, args, kwargs):
        check_signature_fast(self, super().check_signature, args, kwargs)

    def get_url_rule(self):
        return Rule(f"/rpc/{self.method_name}", methods=["POST"])

    def get_entrypoint_parameters(self, request):
        try:
            body = json.loads(request.get_data())
            args, kwargs = body.get("args", []), body.get("kwargs", {})
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise TypeError("args must be a list and kwargs an object")
        except (ValueError, TypeError, AttributeError) as exc:
            raise _Malformed(str(exc)) from None
        return tuple(args), kwargs

    def handle_request(self, request):
        request.shallow = False
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
        except _Malformed as exc:
            return Response(f"malformed request: {exc}", status=400,
                            content_type="text/plain; charset=utf-8")
        except Exception:  # noqa: BLE001 - nameko's IncorrectSignature: the caller's
            return self._response(reply_of(None, sys.exc_info())[2][2])
        event = Event()
        self.container.spawn_worker(
            self, args, kwargs, context_data=self.server.context_data_from_headers(request),
            handle_result=partial(self._finished, event))
        return self._response(event.wait())

    def _finished(self, event, worker_ctx, result, exc_info):
        exc_info = as_reply_error(finish_units_of_work(worker_ctx, exc_info))
        result, exc_info, (_type, _encoding, body) = reply_of(result, exc_info)
        event.send(body)
        return result, exc_info

    @staticmethod
    def _response(body) -> Response:
        return Response(body, status=200, content_type="application/json")


class _Malformed(Exception):
    pass


read_over_http = HttpRead.decorator
