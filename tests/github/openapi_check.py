"""Check HTTP requests (and our test server's replies) against GitHub's OpenAPI description.

A small JSON-schema validator for the keywords ``openapi-subset.json`` uses — ``type``,
``nullable``, ``enum``, ``properties``, ``required``, ``additionalProperties``, ``items``,
``minItems``, ``maxItems``, ``maxLength``, ``oneOf``, ``anyOf``, ``allOf`` and ``$ref`` — plus a matcher from a concrete
method + path to the templated operation. Every problem is returned as a readable string; an
empty list means valid.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUBSET = Path(__file__).with_name("openapi-subset.json")

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SUBSET.read_text(encoding="utf-8"))
    return spec


class Validator:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    def validate(self, schema: Any, value: Any, where: str = "$") -> list[str]:
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or not schema:
            return []
        if value is None and schema.get("nullable"):
            return []
        if value is None and "type" in schema:
            return [f"{where}: null is not allowed"]
        problems = self._type(schema, value, where)
        if problems:
            return problems
        if "enum" in schema and value not in schema["enum"]:
            return [f"{where}: {value!r} is not one of {schema['enum']}"]
        problems += self._length(schema, value, where)
        problems += self._combinators(schema, value, where)
        if isinstance(value, dict):
            problems += self._object(schema, value, where)
        if isinstance(value, list):
            problems += self._array(schema, value, where)
        return problems

    def _length(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
            return [f"{where}: longer than {schema['maxLength']} characters"]
        return []

    def _type(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        expected = schema.get("type")
        if expected is None:
            return []
        kinds = _TYPES[expected]
        if isinstance(value, bool) and expected != "boolean":
            return [f"{where}: expected {expected}, got boolean"]
        if not isinstance(value, kinds):
            return [f"{where}: expected {expected}, got {type(value).__name__}"]
        return []

    def _combinators(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        problems: list[str] = []
        for sub in schema.get("allOf", []):
            problems += self.validate(sub, value, where)
        if "anyOf" in schema and all(self.validate(s, value, where) for s in schema["anyOf"]):
            problems.append(f"{where}: matches none of anyOf")
        if "oneOf" in schema:
            matching = sum(not self.validate(s, value, where) for s in schema["oneOf"])
            if matching != 1:
                problems.append(f"{where}: matches {matching} of oneOf (exactly 1 expected)")
        return problems

    def _object(self, schema: dict[str, Any], value: dict[str, Any], where: str) -> list[str]:
        props: dict[str, Any] = schema.get("properties", {})
        required = schema.get("required", [])
        problems = [f"{where}: missing required {k!r}" for k in required if k not in value]
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                problems += self.validate(props[key], item, f"{where}.{key}")
            elif extra is False:
                problems.append(f"{where}: unexpected property {key!r}")
            elif isinstance(extra, dict):
                problems += self.validate(extra, item, f"{where}.{key}")
        return problems

    def _array(self, schema: dict[str, Any], value: list[Any], where: str) -> list[str]:
        problems: list[str] = []
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{where}: fewer than {schema['minItems']} items")
        if len(value) > schema.get("maxItems", len(value)):
            problems.append(f"{where}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                problems += self.validate(schema["items"], item, f"{where}[{i}]")
        return problems


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    path_params: dict[str, str]
    spec: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.spec["operationId"])


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


class OperationIndex:
    """Find the templated operation for a concrete method and path; check its parameters."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.validator = Validator(spec)
        # the most literal template wins when two match (fewest parameters)
        self._paths = sorted(spec["paths"].items(), key=lambda kv: kv[0].count("{"))

    def match(self, method: str, path: str) -> Operation | None:
        for template, methods in self._paths:
            found = _template_regex(template).match(path)
            if found and method.lower() in methods:
                op = methods[method.lower()]
                return Operation(template, method.lower(), found.groupdict(), op)
        return None

    def parameters(self, op: Operation) -> list[dict[str, Any]]:
        return [self.validator.resolve(p) for p in op.spec.get("parameters", [])]

    def check_parameters(self, op: Operation, query: dict[str, list[str]]) -> list[str]:
        problems: list[str] = []
        declared = {p["name"]: p for p in self.parameters(op)}
        for name, param in declared.items():
            location = param["in"]
            values = [op.path_params[name]] if location == "path" else query.get(name, [])
            if not values and param.get("required"):
                problems.append(f"{location} parameter {name!r} is required")
            for raw in values:
                problems += self._check_value(param, raw, f"{location} parameter {name!r}")
        for name in query:
            if declared.get(name, {}).get("in") != "query":
                problems.append(f"query parameter {name!r} is not in the operation")
        return problems

    def _check_value(self, param: dict[str, Any], raw: str, where: str) -> list[str]:
        schema = self.validator.resolve(param.get("schema", {}))
        value: Any = raw
        if schema.get("type") == "integer":
            if not re.fullmatch(r"-?\d+", raw):
                return [f"{where}: {raw!r} is not an integer"]
            value = int(raw)
        elif schema.get("type") == "boolean":
            if raw not in ("true", "false"):
                return [f"{where}: {raw!r} is not a boolean"]
            value = raw == "true"
        return self.validator.validate(schema, value, where)

    def check_body(self, op: Operation, content_type: str, raw: bytes) -> list[str]:
        request_body = self.validator.resolve(op.spec.get("requestBody"))
        if request_body is None:
            return ["the operation takes no request body"] if raw else []
        if not raw:
            return ["a request body is required"] if request_body.get("required") else []
        if not content_type.startswith("application/json"):
            return [f"content type {content_type!r} is not application/json"]
        try:
            value = json.loads(raw)
        except ValueError:
            return ["the request body is not JSON"]
        schema = request_body["content"]["application/json"]["schema"]
        return self.validator.validate(schema, value, "body")

    def check_response(self, op: Operation, status: int, value: Any) -> list[str]:
        response = self.validator.resolve(op.spec["responses"].get(str(status)))
        if response is None:
            return [f"status {status} is not a documented response"]
        content = response.get("content", {}).get("application/json")
        if content is None:
            return []
        return self.validator.validate(content["schema"], value, f"response {status}")

    def example(self, op: Operation, status: int) -> Any:
        response = self.validator.resolve(op.spec["responses"][str(status)])
        examples = response["content"]["application/json"]["examples"]
        chosen = examples.get("default") or next(iter(examples.values()))  # else the only one
        return self.validator.resolve(chosen)["value"]
