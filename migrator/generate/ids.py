"""Record ids as a legacy system hands them out: increasing, with gaps (other accounts share the sequence)."""

from __future__ import annotations

import random


class Ids:
    """Each call returns a larger id than the last, by a random step of 1 to `gap`."""

    def __init__(self, rng: random.Random, start: int, gap: int = 40) -> None:
        self.rng, self.value, self.gap = rng, start, gap

    def __call__(self) -> int:
        self.value += self.rng.randint(1, self.gap)
        return self.value
