#!/usr/bin/env python3
"""Writes api/model.json: botocore's ECS service model without documentation.

The daemon embeds this file and validates every request against it (types,
required members, enums, lengths and ranges), so the wire contract comes from
the same source the clients use. Run it again when botocore's model changes:
    python3 tools/gen-model.py > api/model.json
"""
import gzip, json, os, sys
import botocore

path = os.path.join(os.path.dirname(botocore.__file__),
                    "data/ecs/2014-11-13/service-2.json.gz")
model = json.load(gzip.open(path))
KEEP = ("type", "required", "min", "max", "enum", "box", "exception")
shapes = {}
for name, s in model["shapes"].items():
    out = {k: s[k] for k in KEEP if k in s}
    if "members" in s:
        out["members"] = {m: v["shape"] for m, v in s["members"].items()}
    if "member" in s:
        out["member"] = s["member"]["shape"]
    if "key" in s:
        out["key"] = s["key"]["shape"]
        out["value"] = s["value"]["shape"]
    shapes[name] = out
ops = {}
for name, o in model["operations"].items():
    ops[name] = {"input": o.get("input", {}).get("shape"),
                 "output": o.get("output", {}).get("shape")}
json.dump({"operations": ops, "shapes": shapes}, sys.stdout,
          sort_keys=True, separators=(",", ":"))
sys.stdout.write("\n")
