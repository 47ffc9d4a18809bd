"""Import a user's locustfile the way Locust would, in this throwaway process.

    python -m chaos.scenario.proc.locustprobe FILE   # {"users": [...]} or {"error": ..., "line": N}

Run by ``chaos.scenario.locustfile.check_locustfile`` in a subprocess: importing
locust monkey-patches the process with gevent, and the orchestrator must stay
unpatched. The last line printed is the answer, as JSON.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any


def probe(path: str) -> dict[str, Any]:
    import importlib.util

    import locust  # noqa: F401  (patches this throwaway process, as Locust's own would be)
    from locust import User

    file = Path(path).resolve()
    sys.path.insert(0, str(file.parent))
    spec = importlib.util.spec_from_file_location("chaos_probe_locustfile", file)
    if spec is None or spec.loader is None:   # not a .py file: Locust could not import it either
        return {"error": "not importable as a Python module (a locustfile ends in .py)",
                "line": None}
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # whatever their module raises is a problem to report
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(file)]
        return {"error": f"import failed: {type(exc).__name__}: {exc}"[:500],
                "line": frames[-1].lineno if frames else None}
    users = [name for name, obj in vars(module).items()
             if isinstance(obj, type) and issubclass(obj, User) and obj is not User
             and not getattr(obj, "abstract", False)]
    return {"users": users}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1])))
