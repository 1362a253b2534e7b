"""Size limits of the code (make lint): no module over 500 lines and no
function over 80 lines, outside migrations, tests and benches. Prints the
longest of each so a reader sees how close the code is."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE, MAX_FUNCTION = 500, 80
ROOTS = ["libs", "services", "gateway", "departments"]
SKIP = ("/migrations/", "/tests/", "/testing/", "/.venv/", "/node_modules/")


def sources(root: Path):
    for top in ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            if not any(part in f"/{path.relative_to(root).as_posix()}" for part in SKIP):
                yield path


def measure(root: Path):
    modules, functions = [], []
    for path in sources(root):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root).as_posix()
        modules.append((len(text.splitlines()), name))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                functions.append((length, f"{name}:{node.lineno} {node.name}"))
    return sorted(modules, reverse=True), sorted(functions, reverse=True)


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    modules, functions = measure(root)
    too_long = [f"module {n} has {size} lines (max {MAX_MODULE})"
                for size, n in modules if size > MAX_MODULE]
    too_long += [f"function {n} has {size} lines (max {MAX_FUNCTION})"
                 for size, n in functions if size > MAX_FUNCTION]
    print("longest modules:", ", ".join(f"{n} {s}" for s, n in modules[:3]))
    print("longest functions:", ", ".join(f"{n} {s}" for s, n in functions[:3]))
    for line in too_long:
        print(line, file=sys.stderr)
    return 1 if too_long else 0


if __name__ == "__main__":
    sys.exit(main())
