#!/usr/bin/env python3
"""Checks a MISP event JSON file: MISP's JSON schema (shipped with PyMISP; it predates MISP
objects, so the event is checked against it without its `Object` list), PyMISP loads it,
every attribute's type is allowed in its category (describeTypes), and every object matches
its misp-objects template (template uuid and version, known relations, required ones)."""
import json
import os
import sys

import jsonschema
import pymisp
from pymisp import MISPEvent

data_dir = os.path.join(os.path.dirname(pymisp.__file__), "data")
problems = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    with open(os.path.join(data_dir, "schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    without_objects = {"Event": {k: v for k, v in raw.get("Event", {}).items() if k != "Object"}}
    try:
        jsonschema.validate(without_objects, schema)
    except jsonschema.ValidationError as e:
        problems.append(f"{path}: schema: {e.message}")
    event = MISPEvent()
    event.load(raw)
    with open(os.path.join(data_dir, "describeTypes.json"), encoding="utf-8") as f:
        types = json.load(f)["result"]
    attrs = list(event.attributes) + [a for o in event.objects for a in o.attributes]
    for a in attrs:
        if a.type not in types["types"]:
            problems.append(f"{path}: unknown type {a.type}")
        elif a.type not in types["category_type_mappings"].get(a.category, []):
            problems.append(f"{path}: type {a.type} not allowed in category {a.category}")
    for o in event.objects:
        tpath = os.path.join(data_dir, "misp-objects", "objects", o.name, "definition.json")
        if not os.path.exists(tpath):
            problems.append(f"{path}: unknown object template {o.name}")
            continue
        with open(tpath, encoding="utf-8") as f:
            t = json.load(f)
        if o.template_uuid != t["uuid"] or str(o.template_version) != str(t["version"]):
            problems.append(f"{path}: object {o.name} template {o.template_uuid} v{o.template_version}, "
                            f"misp-objects has {t['uuid']} v{t['version']}")
        rels = {a.object_relation for a in o.attributes}
        for r in rels - set(t["attributes"]):
            problems.append(f"{path}: object {o.name}: unknown relation {r}")
        for a in o.attributes:
            want = t["attributes"].get(a.object_relation, {}).get("misp-attribute")
            if want and want != a.type:
                problems.append(f"{path}: object {o.name}: {a.object_relation} is {a.type}, template says {want}")
        for r in t.get("required", []):
            if r not in rels:
                problems.append(f"{path}: object {o.name}: required {r} missing")
        one_of = t.get("requiredOneOf", [])
        if one_of and not rels & set(one_of):
            problems.append(f"{path}: object {o.name}: needs one of {one_of}")
    print(f"{path}: {len(event.attributes)} attributes, {len(event.objects)} objects")
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
