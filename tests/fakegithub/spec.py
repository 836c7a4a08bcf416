"""GitHub's REST description (``tests/reference/github-rest-subset.json``) as the fake's rulebook.

This module loads the OpenAPI 3.0.3 document and answers three questions for the server:

* which operation a request is (method + path template, ``{owner}``/``{repo}``/...);
* whether the request is valid: path parameters, query parameters and JSON body are checked
  against the operation with an OpenAPI-3.0-aware JSON-Schema validator, and failures are worded
  the way GitHub words them (``Invalid request.\\n\\n"conclusion" wasn't supplied. ...``);
* whether a response the fake is about to send matches the operation's response schema.

Three deliberate readings of OpenAPI 3.0 that GitHub's own data needs:

* ``nullable: true`` admits ``null`` whatever else the schema says (an ``enum`` without ``null``,
  a ``oneOf``): GitHub answers ``"conclusion": null`` for a running check run and ``"author": null``
  for a commit whose e-mail belongs to no account.
* ``discriminator`` only picks a branch when it has an explicit ``mapping`` and the instance
  carries a mapped value; otherwise it is an annotation and ``oneOf``/``anyOf`` apply alone.
  (GitHub's ``POST /check-runs`` uses a discriminator on ``status`` with inline branches and no
  mapping, and accepts bodies without ``status``.)
* ``oneOf`` is read as ``anyOf``: at least one branch must match. GitHub's validator reports the
  check-run ``oneOf`` as ``anyOf`` (recorded 422), and several of the description's ``oneOf``s
  overlap, so GitHub's own answers match more than one branch (every 409 of
  ``PUT /contents/{path}`` is both a ``basic-error`` and a ``repository-rule-violation-error``;
  a directory listing of ``GET /contents/{path}``).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import _keywords as jsonschema_keywords  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from jsonschema.validators import extend  # type: ignore[import-untyped]
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator._format import oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
SPEC_PATH = REFERENCE_DIR / "github-rest-subset.json"

#: URI under which the description is registered, so ``#/components/...`` references resolve.
DOCUMENT_URI = "urn:gatebot-tests:github-rest-subset"

#: Path parameters whose values may contain ``/`` (git refs, file paths, ``base...head``).
MULTI_SEGMENT_PARAMETERS = frozenset({"ref", "path", "basehead"})

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


# --------------------------------------------------------------------------------------------
# The validator: OAS 3.0 keywords, plus the three readings described in the module docstring.
# --------------------------------------------------------------------------------------------

KeywordFn = Callable[[Any, Any, Any, Mapping[str, Any]], Iterator[ValidationError]]


def _admit_null(keyword: KeywordFn) -> KeywordFn:
    def checked(
        validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if instance is None and isinstance(schema, Mapping) and schema.get("nullable") is True:
            return
        yield from keyword(validator, value, instance, schema)

    return checked


def _mapped_branch(validator: Any, instance: Any, schema: Mapping[str, Any]) -> str | None:
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, Mapping) or not validator.is_type(instance, "object"):
        return None
    mapping = discriminator.get("mapping")
    value = instance.get(discriminator.get("propertyName"))
    if not isinstance(mapping, Mapping) or not isinstance(value, str):
        return None
    target = mapping.get(value)
    return target if isinstance(target, str) else None


def _any_of(
    validator: Any, branches: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    target = _mapped_branch(validator, instance, schema)
    if target is not None:
        yield from validator.descend(instance, {"$ref": target})
        return
    yield from jsonschema_keywords.anyOf(validator, branches, instance, schema)


def _format_checker() -> Any:
    checker = type(oas30_format_checker)()
    checker.checkers = dict(oas30_format_checker.checkers)
    checker.checks("date-time")(lambda value: not isinstance(value, str) or bool(DATE_TIME.match(value)))
    checker.checks("uri")(lambda value: not isinstance(value, str) or bool(URI.match(value)))
    checker.checks("email")(lambda value: not isinstance(value, str) or bool(EMAIL.match(value)))
    return checker


FORMAT_CHECKER = _format_checker()

_KEYWORDS: dict[str, KeywordFn] = dict(OAS30Validator.VALIDATORS)
_KEYWORDS["oneOf"] = _any_of
_KEYWORDS["anyOf"] = _any_of

GitHubSchemaValidator: Any = extend(
    OAS30Validator,
    validators={name: _admit_null(keyword) for name, keyword in _KEYWORDS.items()},
    format_checker=FORMAT_CHECKER,
)


# --------------------------------------------------------------------------------------------
# GitHub's wording of validation failures.
# --------------------------------------------------------------------------------------------


def ruby_inspect(value: Any) -> str:
    """``value.inspect`` as GitHub's (Ruby) validator prints it: ``nil``, ``"text"``, ``{"a"=>1}``."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(ruby_inspect(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{ruby_inspect(k)}=>{ruby_inspect(v)}" for k, v in value.items()) + "}"
    return str(value)


def ruby_to_s(value: Any) -> str:
    """``"#{value}"`` in Ruby: strings bare, ``nil`` empty, containers inspected."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ruby_inspect(value)


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def _schema_pointer(error: ValidationError) -> str:
    parts = [str(part) for part in list(error.relative_schema_path)[:-1] if part != "$ref"]
    return "/".join(parts) if parts else "#"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _keyword_message(error: ValidationError) -> str:  # noqa: PLR0912 - one branch per JSON Schema keyword
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    if keyword == "enum":
        return f"{ruby_to_s(instance)} is not a member of {json.dumps(value, ensure_ascii=False)}."
    if keyword == "type":
        types = value if isinstance(value, list) else [value]
        wanted = "/".join(str(t) for t in types)
        return f"For '{_schema_pointer(error)}', {ruby_inspect(instance)} is not {_article(wanted)} {wanted}."
    if keyword == "maxItems":
        return (
            f"No more than {value} {_plural(value, 'item is', 'items are')} allowed; "
            f"{len(instance)} {_plural(len(instance), 'was', 'were')} supplied."
        )
    if keyword == "minItems":
        return (
            f"{value} {_plural(value, 'item', 'items')} required; "
            f"only {len(instance)} {_plural(len(instance), 'was', 'were')} supplied."
        )
    if keyword == "maxLength":
        return (
            f"Only {value} {_plural(value, 'character is', 'characters are')} allowed; "
            f"{len(instance)} {_plural(len(instance), 'was', 'were')} supplied."
        )
    if keyword == "minLength":
        return (
            f"At least {value} {_plural(value, 'character is', 'characters are')} required; "
            f"only {len(instance)} {_plural(len(instance), 'was', 'were')} supplied."
        )
    if keyword == "maxProperties":
        return (
            f"No more than {value} {_plural(value, 'property is', 'properties are')} allowed; "
            f"{len(instance)} {_plural(len(instance), 'was', 'were')} supplied."
        )
    if keyword == "maximum":
        return f"{instance} must be less than or equal to {value}."
    if keyword == "minimum":
        return f"{instance} must be greater than or equal to {value}."
    if keyword == "pattern":
        return f"{ruby_to_s(instance)} does not match /{value}/."
    if keyword == "format":
        return f"{ruby_to_s(instance)} is not a valid {value}."
    if keyword == "not":
        return 'Matched "not" subschema.'
    if keyword == "additionalProperties":
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        keys = '", "'.join(extra)
        return f'"{keys}" ' + ("is not a permitted key." if len(extra) == 1 else "are not permitted keys.")
    return str(error.message)


def github_messages(errors: Sequence[ValidationError]) -> list[str]:
    """Render validation errors as the lines GitHub puts after ``Invalid request.``.

    Follows GitHub's recorded 422 for a check run with ``status: completed`` and no
    ``conclusion``: a failed ``oneOf``/``anyOf`` is reported as ``No subschema in "anyOf"
    matched.`` followed by each branch's own failures, missing keys as ``"x" wasn't supplied.``,
    enum misses as ``completed is not a member of ["queued", "in_progress"].``; type errors
    name the schema location (``For 'properties/sha', nil is not a string.``).
    """
    lines: list[str | list[str]] = []  # a list gathers the missing keys of one object
    missing: dict[tuple[str, ...], list[str]] = {}
    seen_types: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    for error in errors:
        where = tuple(str(part) for part in error.absolute_path)
        if error.validator == "required":
            match = re.match(r"^'(.*)' is a required property$", error.message)
            group = missing.get(where)
            if group is None:
                group = missing[where] = []
                lines.append(group)
            group.append(match.group(1) if match else str(error.message))
        elif error.validator in ("oneOf", "anyOf"):
            lines.append('No subschema in "anyOf" matched.')
            branches: dict[int, list[ValidationError]] = {}
            for sub in error.context or []:
                branch = int(sub.relative_schema_path[0]) if sub.relative_schema_path else 0
                branches.setdefault(branch, []).append(sub)
            for branch in sorted(branches):
                lines.extend(github_messages(branches[branch]))
        elif error.validator == "type":
            # OAS 3.0's ``type`` reports a non-nullable null twice; GitHub says it once.
            key = (where, tuple(str(part) for part in error.relative_schema_path))
            if key not in seen_types:
                seen_types.add(key)
                lines.append(_keyword_message(error))
        else:
            lines.append(_keyword_message(error))
    return [line if isinstance(line, str) else _missing_message(line) for line in lines]


def _missing_message(names: list[str]) -> str:
    keys = '", "'.join(sorted(names))
    return f'"{keys}" ' + ("wasn't supplied." if len(names) == 1 else "weren't supplied.")


def invalid_request_message(lines: Sequence[str]) -> str:
    return "Invalid request.\n\n" + "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Operations and routing.
# --------------------------------------------------------------------------------------------


def _pointer(*parts: str) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    """One operation of the description (``checks/create`` = ``POST /repos/{owner}/{repo}/check-runs``)."""

    operation_id: str
    method: str
    template: str
    docs_url: str
    parameters: tuple[Parameter, ...]
    body_pointer: str | None
    body_required: bool
    responses: Mapping[str, Mapping[str, Any]]
    response_pointers: Mapping[str, str]
    pattern: re.Pattern[str] = field(compare=False)
    literal_segments: int = 0

    @property
    def path_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def query_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "query")


@dataclass(frozen=True)
class RouteMatch:
    operation: Operation
    raw_params: Mapping[str, str]


def _template_pattern(template: str) -> tuple[re.Pattern[str], int]:
    parts: list[str] = []
    literals = 0
    for segment in template.strip("/").split("/"):
        name = re.fullmatch(r"\{([^}]+)\}", segment)
        if name is None:
            parts.append(re.escape(segment))
            literals += 1
        elif name.group(1) == "path":
            parts.append(f"(?P<{name.group(1)}>.*)")
        elif name.group(1) in MULTI_SEGMENT_PARAMETERS:
            parts.append(f"(?P<{name.group(1)}>.+)")
        else:
            parts.append(f"(?P<{name.group(1)}>[^/]+)")
    return re.compile("^/" + "/".join(parts) + "$"), literals


class Spec:
    """The loaded description: operations, routing and validation."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._validators: dict[str, Any] = {}
        self.operations: dict[str, Operation] = {}
        self._routes: list[Operation] = []
        for template, item in document["paths"].items():
            shared = list(item.get("parameters", []))
            for method in HTTP_METHODS:
                if method in item:
                    self._add_operation(template, method, item[method], shared)
        self._routes.sort(key=lambda op: (-op.literal_segments, op.template.count("{"), op.template))

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> Spec:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    # -- construction ------------------------------------------------------------------------

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow ``$ref`` chains inside the document."""
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def _add_operation(self, template: str, method: str, op: Mapping[str, Any], shared: list[Any]) -> None:
        parameters = tuple(
            Parameter(
                name=resolved["name"],
                location=resolved["in"],
                required=bool(resolved.get("required", False)),
                schema=resolved.get("schema", {}),
            )
            for resolved in (self.resolve(p) for p in [*shared, *op.get("parameters", [])])
        )
        body_pointer = None
        body_required = False
        if "requestBody" in op:
            body = self.resolve(op["requestBody"])
            body_required = bool(body.get("required", False))
            if "application/json" in body.get("content", {}):
                body_pointer = _pointer(
                    "paths", template, method, "requestBody", "content", "application/json", "schema"
                )
        responses: dict[str, Mapping[str, Any]] = {}
        response_pointers: dict[str, str] = {}
        for status, response in op.get("responses", {}).items():
            resolved = self.resolve(response)
            responses[status] = resolved
            if "application/json" in resolved.get("content", {}):
                if "$ref" in response:
                    base = response["$ref"].lstrip("#")
                    response_pointers[status] = base + _pointer("content", "application/json", "schema")
                else:
                    response_pointers[status] = _pointer(
                        "paths",
                        template,
                        method,
                        "responses",
                        status,
                        "content",
                        "application/json",
                        "schema",
                    )
        pattern, literals = _template_pattern(template)
        operation = Operation(
            operation_id=op["operationId"],
            method=method.upper(),
            template=template,
            docs_url=op.get("externalDocs", {}).get("url", "https://docs.github.com/rest"),
            parameters=parameters,
            body_pointer=body_pointer,
            body_required=body_required,
            responses=responses,
            response_pointers=response_pointers,
            pattern=pattern,
            literal_segments=literals,
        )
        self.operations[operation.operation_id] = operation
        self._routes.append(operation)

    # -- routing -----------------------------------------------------------------------------

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The operation for ``method`` + the still-percent-encoded ``raw_path``, or ``None``.

        When several templates match a path the one with the most literal segments wins
        (``/commits/{commit_sha}/pulls`` over ``/commits/{ref}``). A path that only matches
        templates of other methods gives ``None``, which the server answers with 404 as GitHub does.
        """
        for operation in self._routes:
            found = operation.pattern.match(raw_path)
            if found is None:
                continue
            if operation.method == method.upper():
                return RouteMatch(operation, found.groupdict())
        return None

    # -- validation --------------------------------------------------------------------------

    def validator(self, pointer: str) -> Any:
        """A validator for the schema at JSON ``pointer`` inside the document (cached)."""
        validator = self._validators.get(pointer)
        if validator is None:
            validator = GitHubSchemaValidator(
                {"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=self.registry, format_checker=FORMAT_CHECKER
            )
            self._validators[pointer] = validator
        return validator

    def schema_errors(self, pointer: str, instance: Any) -> list[ValidationError]:
        return list(self.validator(pointer).iter_errors(instance))

    def validate_inline(self, schema: Mapping[str, Any], instance: Any) -> list[ValidationError]:
        """Validate against a schema that is not addressed by a pointer (parameter schemas)."""
        validator = GitHubSchemaValidator(schema, registry=self.registry, format_checker=FORMAT_CHECKER)
        return list(validator.iter_errors(instance))

    def path_values(self, operation: Operation, raw_params: Mapping[str, str]) -> dict[str, Any] | None:
        """Decode and type the path parameters; ``None`` when one does not fit (GitHub: 404)."""
        values: dict[str, Any] = {}
        for parameter in operation.path_parameters:
            raw = urllib.parse.unquote(raw_params.get(parameter.name, ""))
            value = _coerce(raw, parameter.schema, self)
            if self.validate_inline(parameter.schema, value):
                return None
            values[parameter.name] = value
        return values

    def query_values(
        self, operation: Operation, query: Mapping[str, Sequence[str]]
    ) -> tuple[dict[str, Any], list[str]]:
        """Typed query parameters the operation declares, and GitHub-style messages for bad ones.

        Parameters the description does not declare are ignored, as GitHub ignores them.
        """
        values: dict[str, Any] = {}
        problems: list[ValidationError] = []
        for parameter in operation.query_parameters:
            if parameter.name not in query:
                default = self.resolve(parameter.schema).get("default")
                if default is not None:
                    values[parameter.name] = default
                continue
            value = _coerce(query[parameter.name][-1], parameter.schema, self)
            schema = {"type": "object", "properties": {parameter.name: parameter.schema}}
            errors = self.validate_inline(schema, {parameter.name: value})
            if errors:
                problems.extend(errors)
            else:
                values[parameter.name] = value
        return values, github_messages(problems)

    def body_messages(self, operation: Operation, body: Any) -> list[str]:
        if operation.body_pointer is None:
            return []
        return github_messages(self.schema_errors(operation.body_pointer, body))

    def response_problems(  # noqa: PLR0912 - each check of a response against the description
        self, operation: Operation | None, status: int, body: Any, headers: Mapping[str, str]
    ) -> list[str]:
        """Why a response does not match the description (empty when it does)."""
        where = f"{operation.method} {operation.template} → {status}" if operation else f"→ {status}"
        problems: list[str] = []
        if operation is None or str(status) not in operation.responses:
            if status < 400:
                if operation is not None:
                    return [f"{where}: status not described by {operation.operation_id}"]
                return []
            pointer = (
                "/components/schemas/validation-error" if status == 422 else "/components/schemas/basic-error"
            )
            if not isinstance(body, Mapping) or "message" not in body:
                problems.append(f"{where}: an error body needs a message")
        else:
            response = operation.responses[str(status)]
            content = response.get("content", {})
            pointer = operation.response_pointers.get(str(status), "")
            if not content and body is not None:
                problems.append(f"{where}: the description gives this response no body")
            if content and "application/json" in content and body is None:
                problems.append(f"{where}: the description gives this response a JSON body")
            lowered = {k.lower() for k in headers}
            if status in {201, 302}:
                for name in response.get("headers", {}):
                    if name.lower() == "location" and "location" not in lowered:
                        problems.append(f"{where}: Location header missing")
            if not pointer:
                return problems
        if body is None:
            return problems
        for error in self.schema_errors(pointer, body):
            path = "/".join(str(part) for part in error.absolute_path) or "(root)"
            problems.append(f"{where}: {path}: {error.message}")
        return problems

    # -- webhooks ----------------------------------------------------------------------------

    def webhook_errors(self, webhook: str, payload: Any) -> list[ValidationError]:
        """Validate an event payload against ``x-webhooks/<webhook>`` (e.g. ``pull-request-opened``)."""
        pointer = _pointer(
            "x-webhooks", webhook, "post", "requestBody", "content", "application/json", "schema"
        )
        return self.schema_errors(pointer, payload)


def _coerce(raw: str, schema: Mapping[str, Any], spec: Spec) -> Any:
    """Turn a path or query string into the type its schema asks for, when it parses as one."""
    schema = spec.resolve(schema)
    candidates = [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]
    for candidate in candidates:
        kind = spec.resolve(candidate).get("type")
        if kind == "integer" and re.fullmatch(r"-?\d+", raw):
            return int(raw)
        if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", raw):
            return float(raw)
        if kind == "boolean" and raw in ("true", "false"):
            return raw == "true"
    return raw
