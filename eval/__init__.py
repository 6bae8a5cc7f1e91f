"""The eval suite RevOps runs: how far can Engage's proposals be trusted, in numbers.

A dataset of calls with gold labels (`eval/datasets/calls.jsonl`) goes through the same extraction
and validation code the service uses (`agent.services.extract.run_extraction`), or a file of
stored predictions is replayed; `eval.metrics` scores the result, `eval.report` writes it as JSON,
a terminal table and an HTML page, and `eval.gate` fails a run that lost ground against a
baseline. `eval.cli.register` adds the `engage eval` command to the main CLI.
"""

from __future__ import annotations

from eval.dataset import DatasetError, EvalCall, load_dataset
from eval.gate import Regression, compare_reports
from eval.runner import EvalRun, run_eval

__all__ = [
    "DatasetError",
    "EvalCall",
    "EvalRun",
    "Regression",
    "compare_reports",
    "load_dataset",
    "run_eval",
]
