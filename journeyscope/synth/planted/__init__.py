"""Planted-problem worlds: generators of several shapes that write real files (events,
customers, survey answers and a map) with known problems, and a scorer that judges an
evaluation's findings against that truth.

>>> import tempfile
>>> from journeyscope.synth.planted import retail
>>> with tempfile.TemporaryDirectory() as folder:
...     world = retail(200, seed=3, folder=folder)
...     sorted(p.id for p in world.problems), world.truth_file.name
(['app-checkout-abandonment', 'slow-delivery-novosibirsk'], 'truth.json')
"""

from ._world import (
    TRUTH_SCHEMA,
    Decoy,
    PlantedDrift,
    PlantedImprovement,
    PlantedKpi,
    PlantedProblem,
    PlantedSegment,
    PlantedWorld,
)
from .retail import retail
from .score import Label, Score, score
from .subscription import subscription
from .utility import utility

#: every shape: name -> generator ``(n_customers, seed, folder=None) -> PlantedWorld``
SHAPES = {"retail": retail, "subscription": subscription, "utility": utility}

__all__ = [
    "SHAPES",
    "TRUTH_SCHEMA",
    "Decoy",
    "Label",
    "PlantedDrift",
    "PlantedImprovement",
    "PlantedKpi",
    "PlantedProblem",
    "PlantedSegment",
    "PlantedWorld",
    "Score",
    "retail",
    "score",
    "subscription",
    "utility",
]
