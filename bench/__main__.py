"""``python -m bench [name ...]`` runs every ``bench/bench_*.py`` (or the named
ones); each module has ``main() -> dict`` and prints its own report."""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import importlib  # noqa: E402
import json  # noqa: E402
import pkgutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)])
                           if m.name.startswith("bench_"))
    results = {}
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}", flush=True)
        results[name] = module.main()
    print(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
