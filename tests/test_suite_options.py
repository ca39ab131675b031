"""Every --bench-* option is declared in bench_lib/suite/options.py, so the generated options page lists it."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_generated_options_page_lists_every_option_the_suite_takes(pytestconfig):
    sys.path.insert(0, str(ROOT))
    try:
        from docs_hooks.reference_pages import suite_options_page
    finally:
        sys.path.remove(str(ROOT))
    page = suite_options_page()
    taken = {"--" + dest.replace("_", "-") for dest in vars(pytestconfig.option) if dest.startswith("bench_")}
    hidden = {"--bench-child-journal"}
    assert {"--bench-isolate", "--bench-timeout", "--bench-resume"} <= taken
    assert [o for o in sorted(taken - hidden) if f"| `{o}` |" not in page] == []
