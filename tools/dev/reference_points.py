"""Adds the steps-to-target distributions of saved suite runs to the reference convergence points.

    python tools/dev/reference_points.py RUN.json [RUN.json ...]

Every ok configuration with a target (time_to_accuracy, lr_tuning, the equal-convergence batch
sizes) becomes a point of bench_lib/reference/convergence.json, replacing one of the same key;
the file is rewritten atomically. Measure with several seeds (the quick profile runs 3, full 5).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench_lib.analysis import convergence_points
from bench_lib.record import history
from bench_lib.record.files import write_atomic

TARGET = Path(__file__).resolve().parents[2] / "bench_lib" / "reference" / "convergence.json"


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    new = []
    for path in paths:
        run = history.load_run(Path(path))
        for bench in run.benchmarks:
            result = {**bench.result, "question": bench.question}
            found = convergence_points.point(result, result.get("versions") or {})
            if found is not None:
                new.append(found | {"run": run.name, "cpu": run.machine.get("cpu", {}).get("brand_raw")})
    old = json.loads(TARGET.read_text())["points"] if TARGET.is_file() else []
    points = convergence_points.merge(old, new)
    about = "Steps to target per configuration, measured here; written by tools/dev/reference_points.py."
    write_atomic(TARGET, json.dumps({"about": about, "points": points}, indent=1) + "\n", overwrite=True)
    print(f"{TARGET}: {len(new)} points from {len(paths)} runs, {len(points)} in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
