"""/api/docs: the API reference as a page, drawn on the server from the same OpenAPI document /api/v1/openapi.json
serves (forum/api/schema.py), so the two never disagree.

No Swagger UI: it is a large script from elsewhere, and the CSP allows neither. Each operation lists its method,
path, summary, parameters (type, whether required, description), response codes and a curl line that works.
It lives outside /api/v1 in a blueprint of its own, so the API's JSON error handlers and rate limit stay the
API's, and this page answers errors as every other page does.
"""
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, render_template

from ..urls import external_url
from . import schema

docs_bp = Blueprint("api_docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")
# Values for the curl lines where the schema has no enum, minimum or default to take one from.
EXAMPLE_VALUES = {"practice": "nbme-cbssa-31:72", "month": "2026-06", "q": "uworld", "story_id": 1}


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # "query" | "path"
    type: str  # "integer, 1 to 100, default 1"
    required: bool
    description: str


@dataclass(frozen=True)
class Response:
    code: str
    description: str
    body: str  # "StoryList", "Error", "" for none


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str  # the operationId: #listStories
    summary: str
    parameters: list[Parameter]
    responses: list[Response]
    curl: str


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Schema:
    name: str
    description: str
    fields: list[Field]


def type_label(spec: dict) -> str:
    """A JSON Schema as a reader says it: 'string, one of: step1, step2ck', 'array of Story', 'integer or null'."""
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "oneOf" in spec:
        return " or ".join(type_label(option) for option in spec["oneOf"])
    kind = spec.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    main = " or ".join(kinds)
    if "array" in kinds and "items" in spec:
        main = main.replace("array", f"array of {type_label(spec['items'])}")
    parts = [main]
    if "enum" in spec:
        parts.append("one of: " + ", ".join("null" if v is None else str(v) for v in spec["enum"]))
    if "minimum" in spec or "maximum" in spec:
        parts.append(f"{spec.get('minimum', '…')} to {spec.get('maximum', '…')}")
    if "maxLength" in spec:
        parts.append(f"at most {spec['maxLength']} characters")
    if "maxItems" in spec:
        parts.append(f"at most {spec['maxItems']} values")
    if "pattern" in spec:
        parts.append(f"matching {spec['pattern']}")
    if "format" in spec:
        parts.append(spec["format"])
    if "default" in spec:
        parts.append(f"default {spec['default']}")
    return ", ".join(parts)


def example_value(name: str, spec: dict):
    if name in EXAMPLE_VALUES:
        return EXAMPLE_VALUES[name]
    items = spec.get("items", spec)
    if items.get("enum"):
        return items["enum"][0]
    return items.get("default", items.get("minimum", "value"))


def curl_line(base: str, path: str, parameters: list[dict]) -> str:
    """curl for the path, with its path parameters and its required query parameters filled in."""
    for p in parameters:
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", str(example_value(p["name"], p["schema"])))
    query = urlencode([(p["name"], example_value(p["name"], p["schema"])) for p in parameters
                       if p["in"] == "query" and p.get("required")])
    return f"curl '{base}{path}{'?' + query if query else ''}'"


def _resolve(document: dict, spec: dict) -> dict:
    """A response given as a $ref into components, as the object it names."""
    if "$ref" not in spec:
        return spec
    node = document
    for part in spec["$ref"].removeprefix("#/").split("/"):
        node = node[part]
    return node


def operations(document: dict, base: str) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            parameters = op.get("parameters", [])
            responses = []
            for code, spec in op["responses"].items():
                spec = _resolve(document, spec)
                body = spec.get("content", {}).get("application/json", {}).get("schema", {})
                responses.append(Response(code=code, description=spec.get("description", ""),
                                          body=type_label(body) if body else ""))
            found.append(Operation(
                method=method.upper(), path=path, anchor=op.get("operationId", f"{method}-{path}"),
                summary=op.get("summary", ""),
                parameters=[Parameter(name=p["name"], where=p["in"], type=type_label(p.get("schema", {})),
                                      required=bool(p.get("required")), description=p.get("description", ""))
                            for p in parameters],
                responses=responses, curl=curl_line(base, path, parameters)))
    return found


def schemas(document: dict) -> list[Schema]:
    return [Schema(name=name, description=spec.get("description", ""),
                   fields=[Field(name=field, type=type_label(sub), description=sub.get("description", ""))
                           for field, sub in spec.get("properties", {}).items()])
            for name, spec in document.get("components", {}).get("schemas", {}).items()]


@docs_bp.route("/api/docs")
def reference():
    """The reference page; the document is a constant, so this reads no database."""
    document = schema.DOCUMENT
    base = external_url("api.openapi").removesuffix("/openapi.json")
    found = schemas(document)
    return render_template("api/docs.html", info=document["info"], base=base, operations=operations(document, base),
                           schemas=found, schema_names={s.name for s in found})
