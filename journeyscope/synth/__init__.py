"""Synthetic journey logs: a scalable Markov-chain generator and the Tour De Farce sample data."""

from .markov import (
    SCHEMA,
    MarkovChain,
    TimeModel,
    default_chain,
    generate_chunks,
    write_csv,
    write_parquet,
)

__all__ = [
    "SCHEMA",
    "MarkovChain",
    "TimeModel",
    "default_chain",
    "generate_chunks",
    "write_csv",
    "write_parquet",
]
