"""tools/dev/README.md lists every developer instrument of tools/dev, so none is found only by reading the folder."""

from pathlib import Path

DEV = Path(__file__).resolve().parents[1] / "tools" / "dev"


def test_every_script_of_tools_dev_has_a_row_in_its_readme():
    readme = (DEV / "README.md").read_text()
    unlisted = [p.name for p in sorted(DEV.glob("*.py")) if f"| `{p.name}" not in readme]
    assert unlisted == [], f"tools/dev/README.md has no row for {', '.join(unlisted)}"
