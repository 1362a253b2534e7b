"""The gateway's flask-smorest ``Blueprint``: every operation gets a stable,
unique ``operationId`` — ``<blueprint>_<view function>`` (``persons_get_person``,
``applications_review``) — so clients generated from the OpenAPI document have
readable method names that do not change when a path does."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint as SmorestBlueprint


class Blueprint(SmorestBlueprint):  # type: ignore[misc]
    def register_views_in_doc(self, api: Any, app: Any, spec: Any, *, name: str,
                              parameters: Any) -> None:
        for endpoint, methods in self._docs.items():
            for method, doc in methods.items():
                if method == "parameters" or not isinstance(doc, dict):
                    continue
                manual = doc.setdefault("manual_doc", {})
                manual.setdefault("operationId", operation_id(name, endpoint))
        super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)


def operation_id(blueprint: str, endpoint: str) -> str:
    return f"{blueprint}_{endpoint}"
