"""Summarise a collapsed-stacks profile (py-spy ``--format raw``): where the samples are.

``python -m tests.perf.stacks FILE [--top N] [--match TEXT]`` prints, per thread, the frames
that hold the most samples inclusively (anywhere on the stack) and exclusively (on top).
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path


def load(path: Path) -> dict[str, Counter[tuple[str, ...]]]:
    """Stacks per thread: ``thread;frame;frame... count`` lines, outermost frame first."""
    by_thread: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        thread, *frames = stack.split(";")
        by_thread[thread][tuple(frames)] += int(samples)
    return by_thread


def summarise(stacks: Counter[tuple[str, ...]], top: int, match: str) -> list[str]:
    total = sum(stacks.values())
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    for frames, samples in stacks.items():
        for frame in set(frames):
            if match in frame:
                inclusive[frame] += samples
        if frames:
            exclusive[frames[-1]] += samples
    lines = [f"  inclusive (of {total} samples)"]
    lines += [f"    {n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(top)]
    lines.append("  exclusive")
    lines += [f"    {n / total:6.1%}  {frame}" for frame, n in exclusive.most_common(top)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only count inclusive frames containing this text")
    args = parser.parse_args()
    threads = load(args.file)
    grand = sum(sum(s.values()) for s in threads.values())
    for thread, stacks in sorted(threads.items(), key=lambda item: -sum(item[1].values())):
        print(f"{thread}: {sum(stacks.values()) / grand:.1%} of all samples")
        print("\n".join(summarise(stacks, args.top, args.match)))


if __name__ == "__main__":
    main()
