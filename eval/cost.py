"""Estimated cost of a run from its token counts and a price table RevOps can replace."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from eval.dataset import DatasetError

DEFAULT_PRICES = Path(__file__).with_name("prices.json")


@dataclass(frozen=True, kw_only=True)
class Price:
    prompt_per_million: float
    completion_per_million: float


def load_prices(path: Path = DEFAULT_PRICES) -> dict[str, Price]:
    """`{"models": {name: {"prompt_per_million": x, "completion_per_million": y}}}`, in USD."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        models = data["models"]
        return {
            str(name): Price(
                prompt_per_million=float(entry["prompt_per_million"]),
                completion_per_million=float(entry["completion_per_million"]),
            )
            for name, entry in models.items()
        }
    except OSError as exc:
        raise DatasetError(f"cannot read price table {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DatasetError(
            f'{path}: a price table is {{"models": {{name: {{"prompt_per_million": x, '
            f'"completion_per_million": y}}}}}} ({exc})'
        ) from None


def estimate_cost(
    model: str | None, prompt_tokens: int, completion_tokens: int, prices: Mapping[str, Price]
) -> float | None:
    """USD for the tokens at the model's price; None when the table does not price the model."""
    price = prices.get(model or "")
    if price is None:
        return None
    return (
        prompt_tokens * price.prompt_per_million + completion_tokens * price.completion_per_million
    ) / 1_000_000
