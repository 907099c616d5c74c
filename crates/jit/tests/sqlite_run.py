"""Run jit::sql statements against a real SQLite (Python's sqlite3) with the D1 migrations
applied, as D1 would: each batch in one transaction, rolled back whole if a statement fails.

stdin: {"migrations": [path...], "steps": [{"batch": [{"sql", "args"}...]} | {"query": {...}}]}
stdout: one result per step: {"changes": first statement's changes, "error": str|null} or
{"rows": [...]}.
"""
import json
import sqlite3
import sys

req = json.load(sys.stdin)
db = sqlite3.connect(":memory:", isolation_level=None)
db.row_factory = sqlite3.Row
for path in req["migrations"]:
    with open(path, encoding="utf-8") as f:
        db.executescript(f.read())
out = []
for step in req["steps"]:
    if "batch" in step:
        db.execute("BEGIN")
        try:
            first = None
            for st in step["batch"]:
                cur = db.execute(st["sql"], st["args"])
                if first is None:
                    first = cur.rowcount
            db.execute("COMMIT")
            out.append({"changes": first, "error": None})
        except sqlite3.Error as e:
            db.execute("ROLLBACK")
            out.append({"changes": None, "error": str(e)})
    else:
        q = step["query"]
        rows = [dict(r) for r in db.execute(q["sql"], q["args"])]
        out.append({"rows": rows})
json.dump(out, sys.stdout)
