"""What the authorization walk needs to build requests from the app itself: every route with its
methods, path parameters filled with the victim's ids, and a minimal valid JSON body generated
from the route's OpenAPI schema (so a refusal is an authorization decision, not a 422)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route

PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    in_schema: bool
    body_schema: dict[str, Any] | None
    query: tuple[str, ...]

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every route the app serves: the OpenAPI operations, then the routes kept out of it."""
    schema = app.openapi()
    found: list[Endpoint] = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            query = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            found.append(Endpoint(method.upper(), path, True, body.get("schema"), query))
    for route in _flatten(app.routes):
        if isinstance(route, APIRoute) and route.include_in_schema:
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append(Endpoint(method, route.path, False, None, ()))
    return found


def _flatten(routes: list[BaseRoute]) -> Iterator[Route]:
    """Routes, with included routers opened (newer FastAPI keeps them as one entry each)."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _flatten(router.routes)
        elif isinstance(route, Mount):
            yield from _flatten(route.routes)


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example(
    schema: dict[str, Any], components: dict[str, Any], hints: dict[str, Any], name: str = ""
) -> Any:
    """A minimal valid instance: required properties, plus any optional one the hints name."""
    if name in hints:
        return hints[name]
    schema = resolve(schema, components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if resolve(o, components).get("type") != "null"]
            return example(options[0], components, hints, name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", []))
        return {
            prop: example(sub, components, hints, prop)
            for prop, sub in schema.get("properties", {}).items()
            if prop in required or prop in hints
        }
    if kind == "array":
        count = schema.get("minItems", 0)
        return [example(schema["items"], components, hints) for _ in range(count)]
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2026-11-20"
        if fmt == "date-time":
            return "2027-01-01T00:00:00Z"
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    return None
