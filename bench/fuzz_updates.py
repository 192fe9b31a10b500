"""A long run of the admission fuzzer: hostile updates against realistic documents.

    .venv/bin/python -m bench.fuzz_updates [--cases 100000] [--seed 1] [--raw 2000] [--timeout 5]

Makes ``--cases`` sessions with the generator of ``tests/crdt/update_fuzzer.py`` (the suite runs
10,000 of them): each a short attack on a plan, perspectief or analyse document by someone
who sends up to three hand-made, damaged or honest updates. Admission judges every update the
way a room does; every session's admitted updates are applied in a worker process, which must
not panic, hang, leave structs pending, fail to read a root, or read differently when loaded
again. Prints the verdicts (admitted, and each reason for a refusal), the outcomes, and the
failures in full, so that benchmarks.md can quote them.

``--raw N`` also applies every update of the first N sessions without admission (refused ones
too): what pycrdt would do without it. That part is slow on purpose: every hang costs
``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import pycrdt

from tests.crdt.update_fuzzer import OK, fuzz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--raw", type=int, default=0, metavar="N")
    parser.add_argument("--timeout", type=float, default=5.0)
    options = parser.parse_args()

    print(
        f"fuzz_updates: {options.cases} sessions, seed {options.seed}, pycrdt "
        f"{pycrdt.__version__ if hasattr(pycrdt, '__version__') else '?'}, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    started = time.monotonic()

    def progress(done: int) -> None:
        print(f"  … {done} sessions, {time.monotonic() - started:.0f} s", file=sys.stderr)

    report = fuzz(options.seed, options.cases, timeout=options.timeout, progress=progress)
    print(report.summary())
    for session, applied in report.failures:
        print(f"FAILURE {applied.outcome}: {applied.detail}")
        print(f"  {session.section}: {' '.join(u.hex() for u in session.admitted)}")
    for session in report.stalled:
        print(f"STALLED {session.section}: {' '.join(u.hex() for u in session.steps)}")

    if options.raw:
        raw = fuzz(
            options.seed,
            options.raw,
            raw=True,
            timeout=options.timeout,
            progress=progress,
            chunk=500,
        )
        print(f"\nthe first {options.raw} sessions, every update applied without admission:")
        for outcome, count in raw.raw_outcomes.most_common():
            print(f"  {count:7d}  {outcome}")
        kinds = {(a.outcome, a.detail.split(": ", 1)[-1][:70]) for _, a in raw.raw_failures}
        for outcome, detail in sorted(kinds):
            print(f"  {outcome}: {detail}")

    bad = len(report.failures) + len(report.stalled)
    print(f"\n{report.outcomes[OK]} sessions applied cleanly; {bad} failures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
