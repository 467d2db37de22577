"""Time until all 8 emotion variants exist, against one call and a sequential baseline.

The local protocol server answers after 0.5 s. "one call" is one generation measured alone;
the baseline makes the 8 variants one after another (concurrency 1) in the same run.

    python bench/emotions.py [--latency 0.5] [--concurrency 4]

At ``AVATARS_CONCURRENCY`` 4 (the default) eight calls are two rounds of the provider's latency,
so ``floor_ratio`` is the best any encoder can do there; at 8 they are one round, and the ratio
shows what encoding still adds after the provider answered.
"""

from __future__ import annotations

import argparse
import math
import time

from _common import gemini_service

from avatar_core.domain.emotions import EMOTIONS
from tests.gemini_server import GeminiStub


def until_all_emotions(latency: float, concurrency: int) -> tuple[float, float]:
    """(seconds for the base avatar alone, seconds from it until all 8 variants exist)."""
    with GeminiStub(latency_s=latency) as stub:
        service = gemini_service(stub.url, concurrency)
        try:
            service.agents.register("moody")
            started = time.perf_counter()
            service.generate("moody", "a robot with many moods")
            one_call = time.perf_counter() - started
            started = time.perf_counter()
            while service.emotions("moody").emotions != list(EMOTIONS):
                if time.perf_counter() - started > 120:
                    raise SystemExit("emotions did not finish in 120 s")
                time.sleep(0.01)
            return one_call, time.perf_counter() - started
        finally:
            service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    _, sequential = until_all_emotions(args.latency, 1)
    one_call, wall = until_all_emotions(args.latency, args.concurrency)
    print(f"one call {one_call:.2f}s  all 8 concurrent {wall:.2f}s  sequential {sequential:.2f}s")
    # 8 calls at concurrency c are ceil(8 / c) rounds of the provider's latency at the least
    floor = math.ceil(len(EMOTIONS) / args.concurrency) * args.latency / one_call
    print(f"emotions: concurrency={args.concurrency} wall_s={wall:.2f} "
          f"one_call_s={one_call:.2f} ratio={wall / one_call:.2f} floor_ratio={floor:.2f} "
          f"speedup={sequential / wall:.2f}")


if __name__ == "__main__":
    main()
