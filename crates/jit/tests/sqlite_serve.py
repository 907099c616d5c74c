"""A SQLite database with the D1 migrations applied, serving jit::sql statements over stdin and
stdout, one JSON document per line, as D1 runs them (a batch in one transaction, rolled back whole
if a statement fails), for tests of the SCIM endpoints against real SQL.

first line: {"migrations": [path...]}; then {"rows": {"sql", "args"}} -> {"rows": [...]}
or {"batch": [{"sql", "args"}...]} -> {"changes": first statement's changes, "error": str|null}.
"""
import json
import sqlite3
import sys

db = sqlite3.connect(":memory:", isolation_level=None)
db.row_factory = sqlite3.Row
for path in json.loads(sys.stdin.readline())["migrations"]:
    with open(path, encoding="utf-8") as f:
        db.executescript(f.read())
for line in sys.stdin:
    req = json.loads(line)
    if "rows" in req:
        q = req["rows"]
        try:
            out = {"rows": [dict(r) for r in db.execute(q["sql"], q["args"])]}
        except sqlite3.Error as e:
            out = {"error": str(e)}
    else:
        db.execute("BEGIN")
        try:
            first = None
            for st in req["batch"]:
                cur = db.execute(st["sql"], st["args"])
                if first is None:
                    first = cur.rowcount
            db.execute("COMMIT")
            out = {"changes": first, "error": None}
        except sqlite3.Error as e:
            db.execute("ROLLBACK")
            out = {"changes": None, "error": str(e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
