"""The request-argument parser every blueprint uses.

webargs instantiates a schema *class* passed to ``@blp.arguments`` on every
request (``Schema()`` deep-copies its declared fields); this parser builds each
schema class once and reuses the instance (marshmallow's ``load`` keeps no state
on the schema). The OpenAPI document is unchanged: it is built from what the
decorators were given, not from the parser."""

from __future__ import annotations

import threading

import marshmallow as ma
from flask import g
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser


class CachingParser(FlaskParser):
    #: a query parameter the operation does not declare is refused (422), not
    #: ignored: a misspelt filter (``?stauts=open``) must not answer everything
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": ma.RAISE, "querystring": ma.RAISE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type, ma.Schema] = {}
        self._lock = threading.Lock()

    def _raw_load_json(self, req):
        """The body ``doudi_gateway.bodies`` already parsed, when it did."""
        if "json_body" in g:
            return g.json_body
        return super()._raw_load_json(req)

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                with self._lock:
                    schema = self._schemas.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)


def install() -> None:
    """Before any blueprint is declared (``doudi_gateway/__init__``)."""
    if not isinstance(Blueprint.ARGUMENTS_PARSER, CachingParser):
        parser = CachingParser()
        old = Blueprint.ARGUMENTS_PARSER
        parser.DEFAULT_VALIDATION_STATUS = old.DEFAULT_VALIDATION_STATUS
        parser.error_callback = old.error_callback
        Blueprint.ARGUMENTS_PARSER = parser
