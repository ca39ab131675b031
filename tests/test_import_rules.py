"""What the import-linter contracts cannot see: a module imported by name at run time (importlib) dodges them."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each module that imports by name, and why that is not a way around a contract.
BY_NAME = {
    "bench_lib/questions/registry.py": "finds the question modules of its own package",
    "bench_lib/engine/model.py": "a model's builder, from its registry entry's dotted path",
}


def _imports_by_name(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in ("importlib.import_module", "import_module", "__import__"):
                return True
    return False


def test_only_the_listed_modules_import_by_name():
    found = {str(p.relative_to(ROOT)) for p in (ROOT / "bench_lib").rglob("*.py") if _imports_by_name(p)}
    assert found == set(BY_NAME), "a module imported by name escapes the import-linter contracts in setup.cfg"
