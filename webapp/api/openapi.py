"""The OpenAPI 3 document of /api, built with apispec from the sync wire schemas."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from sync import schemas
from sync.ops import OPS

_ERRORS = {
    "400": "Malformed request",
    "401": "Missing, wrong or revoked token",
    "403": "Not allowed",
    "404": "Not found",
    "413": "Too large",
    "415": "Unsupported media type",
    "422": "Invalid input",
    "429": "Too many attempts",
}


def _errors(*codes: str) -> dict:
    return {
        c: {"description": _ERRORS[c], "content": {"application/json": {"schema": "Error"}}}
        for c in codes
    }


def _json(schema: str) -> dict:
    return {"application/json": {"schema": schema}}


# Other areas add their /api routes here (at import of their views module), so the one
# document describes every route: document("/api/reports/coverage", {"get": {...}}).
EXTRA_PATHS: dict[str, dict] = {}
EXTRA_SCHEMAS: dict[str, type] = {}


def document(path: str, operations: dict, schemas: dict[str, type] | None = None) -> None:
    """Add an /api route of another area to the OpenAPI document."""
    EXTRA_PATHS[path] = operations
    EXTRA_SCHEMAS.update(schemas or {})


SHA_PARAM = {
    "name": "sha256",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}


def payload_name(op_type: str) -> str:
    """The component name of an op type's payload: ``key.lend`` → ``KeyLendPayload``."""
    return "".join(part.capitalize() for part in op_type.replace("_", ".").split(".")) + "Payload"


def build() -> dict:
    """Build the document (it does not depend on the request)."""
    spec = APISpec(
        title="Rounds API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Device tokens, sync pull and push, and photos."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in [
        ("Error", schemas.ErrorSchema),
        ("DeviceAuthRequest", schemas.DeviceAuthRequestSchema),
        ("DeviceAuthResponse", schemas.DeviceAuthResponseSchema),
        ("PushRequest", schemas.PushRequestSchema),
        ("PushResponse", schemas.PushResponseSchema),
        ("PullResponse", schemas.PullResponseSchema),
        ("Op", schemas.OpSchema),
        *[(payload_name(name), t.schema) for name, t in OPS.items()],
    ]:
        spec.components.schema(name, schema=schema)
    secured = [{"bearer": []}]
    spec.path(
        path="/api/auth/device",
        operations={
            "post": {
                "summary": "Trade credentials (or the page's session) for a device token",
                "security": [],
                "requestBody": {"required": True, "content": _json("DeviceAuthRequest")},
                "responses": {
                    "201": {"description": "Token issued", "content": _json("DeviceAuthResponse")},
                    **_errors("400", "401", "422", "429"),
                },
            },
            "delete": {
                "summary": "Revoke the caller's token",
                "security": secured,
                "responses": {"204": {"description": "Revoked"}, **_errors("400", "401")},
            },
        },
    )
    spec.path(
        path="/api/sync/pull",
        operations={
            "get": {
                "summary": "A page of changes since the cursor (none: the full snapshot)",
                "security": secured,
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
                "responses": {
                    "200": {"description": "Changes", "content": _json("PullResponse")},
                    "410": {
                        "description": "cursor_expired: pull a fresh snapshot",
                        "content": _json("Error"),
                    },
                    **_errors("401", "422"),
                },
            }
        },
    )
    spec.path(
        path="/api/sync/push",
        operations={
            "post": {
                "summary": "Push 1 to 500 ops; one result per op, in order",
                "description": "Statuses: applied, duplicate, conflict, rejected. Op types: "
                + ", ".join(OPS)
                + " (payload schemas below; an op of any other type is answered rejected, "
                "unknown_type).",
                "security": secured,
                "requestBody": {"required": True, "content": _json("PushRequest")},
                "responses": {
                    "200": {"description": "Results", "content": _json("PushResponse")},
                    **_errors("400", "401", "403", "413", "422"),
                },
            }
        },
    )
    image = {
        t: {"schema": {"type": "string", "format": "binary"}}
        for t in ("image/jpeg", "image/png", "image/webp")
    }
    spec.path(
        path="/api/blobs/{sha256}",
        operations={
            "get": {
                "summary": "A photo the caller may see",
                "security": secured,
                "parameters": [SHA_PARAM],
                "responses": {
                    "200": {"description": "The image", "content": image},
                    **_errors("401", "404"),
                },
            },
            "head": {
                "summary": "Whether the server holds a photo the caller may see",
                "security": secured,
                "parameters": [SHA_PARAM],
                "responses": {
                    "200": {"description": "Held"},
                    "404": {"description": "Not held"},
                    "401": {"description": _ERRORS["401"]},
                },
            },
            "put": {
                "summary": "Upload a photo named by the sha256 of its bytes (at most 10 MB)",
                "security": secured,
                "parameters": [SHA_PARAM],
                "requestBody": {"required": True, "content": image},
                "responses": {
                    "201": {"description": "Stored"},
                    "200": {"description": "Already held"},
                    **_errors("400", "401", "413", "415"),
                },
            },
        },
    )
    for name, schema in EXTRA_SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for path, operations in sorted(EXTRA_PATHS.items()):
        spec.path(path=path, operations=operations)
    spec.path(
        path="/api/openapi.json",
        operations={
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3 document"}},
            }
        },
    )
    return spec.to_dict()


def spec(app: Flask) -> dict:
    """The document, built once per app."""
    cached = app.extensions.get("rounds_openapi")
    if cached is None:
        cached = app.extensions["rounds_openapi"] = build()
    return cached
