"""python -m auditor.synth --rows N --seed S --out DIR [--as-of DATE] [--defect-rate R] [--duplicate-rate R]
[--anomaly-rate R]"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from auditor.synth import DEFAULT_AS_OF, generate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m auditor.synth", description=__doc__)
    p.add_argument("--rows", type=int, required=True, help="number of clean contacts; other entities scale from it")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", required=True)
    p.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    p.add_argument("--defect-rate", type=float, default=0.04)
    p.add_argument("--duplicate-rate", type=float, default=0.05)
    p.add_argument("--anomaly-rate", type=float, default=0.0)
    a = p.parse_args(argv)
    t0 = time.perf_counter()

    def progress(stage: str, i: int, n: int) -> None:
        print(f"[{i}/{n}] {stage} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr)

    s = generate(
        a.rows,
        a.seed,
        a.out,
        as_of=a.as_of,
        defect_rate=a.defect_rate,
        duplicate_rate=a.duplicate_rate,
        anomaly_rate=a.anomaly_rate,
        progress=progress,
    )
    print(f"wrote {s.out}: " + ", ".join(f"{e} {n:,}" for e, n in s.counts.items()))
    print(f"defects {sum(s.defects.values()):,} over {len(s.defects)} rules; duplicate clusters {s.clusters:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
