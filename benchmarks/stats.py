"""Medians with their spread over the rounds."""

from __future__ import annotations

import statistics
from typing import TypedDict


class Spread(TypedDict):
    """A metric over the rounds: its median, min and max."""

    median: float
    min: float
    max: float


def summarise(samples: list[dict[str, float]]) -> dict[str, Spread]:
    """Each metric's median, min and max over the samples."""
    summary: dict[str, Spread] = {}
    for metric in samples[0]:
        values = [sample[metric] for sample in samples]
        summary[metric] = Spread(median=statistics.median(values), min=min(values), max=max(values))
    return summary
