"""oas - reads the router table out of fcgi-app/http/routes.c and checks
JSON values against the schemas of an OpenAPI 3.1 document.

check() supports what docs/openapi.json uses: $ref, allOf, oneOf/anyOf,
type (also as a list, with "null"), enum, const, properties, required,
additionalProperties and items.  An object field that the schema does not
list is an error unless the schema says additionalProperties: true, so a
real response can't carry a field the document doesn't describe."""

import re

METHODS = {"HTTP_GET": "get", "HTTP_POST": "post", "HTTP_PUT": "put",
           "HTTP_PATCH": "patch", "HTTP_DELETE": "delete"}

ROUTE_RE = re.compile(
    r'\{\s*((?:HTTP_[A-Z]+\s*\|?\s*)+),\s*"([^"]+)",\s*\w+,\s*([\w|\s]+),')


def router_routes(routes_c):
    """{(method, path): is_public} for every row of the route table."""
    with open(routes_c) as f:
        text = f.read()
    routes = {}
    for methods, path, flags in ROUTE_RE.findall(text):
        for m in methods.split("|"):
            routes[(METHODS[m.strip()], path)] = "ROUTE_PUBLIC" in flags
    if not routes:
        raise ValueError("no routes found in " + routes_c)
    return routes


def resolve(doc, node):
    """node with $ref followed (repeatedly)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("external $ref " + ref)
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def flatten(doc, schema):
    """schema with $ref resolved and allOf merged into one object schema."""
    schema = resolve(doc, schema)
    if "allOf" not in schema:
        return schema
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    props, required = {}, []
    for part in schema["allOf"]:
        part = flatten(doc, part)
        for k, v in part.items():
            if k == "properties":
                props.update(v)
            elif k == "required":
                required += v
            else:
                merged.setdefault(k, v)
    merged["properties"] = props
    merged["required"] = required
    return merged


def _type_ok(value, t):
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "string":
        return isinstance(value, str)
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    raise ValueError("unknown type " + t)


def check(doc, value, schema, path="$"):
    """Returns a list of problems ("$.images[0].width: ...") with value
    against schema; empty when it conforms."""
    schema = flatten(doc, schema)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        results = [check(doc, value, alt, path) for alt in alternatives]
        if any(not r for r in results):
            return []
        return ["%s: matches none of the alternatives: %s" % (
            path, "; ".join(p for r in results for p in r))]
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        if not any(_type_ok(value, t) for t in types):
            return ["%s: %r is not of type %s" % (path, value, types)]
    if "const" in schema and value != schema["const"]:
        return ["%s: %r is not %r" % (path, value, schema["const"])]
    if "enum" in schema and value not in schema["enum"]:
        return ["%s: %r is not one of %s" % (path, value, schema["enum"])]
    problems = []
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append("%s: required field %r is missing" % (
                    path, name))
        for name, v in value.items():
            if name in props:
                problems += check(doc, v, props[name], path + "." + name)
            elif schema.get("additionalProperties") is not True:
                problems.append("%s: field %r is not documented" % (
                    path, name))
    elif isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            problems += check(doc, v, schema["items"], "%s[%d]" % (path, i))
    return problems


def walk_schemas(node, path="$"):
    """Yields (path, schema) for every property schema in node, so the
    document itself can be checked for descriptions and types."""
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            yield path + "." + name, prop
        for k, v in node.items():
            yield from walk_schemas(v, path + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_schemas(v, "%s[%d]" % (path, i))
