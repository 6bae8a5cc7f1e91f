"""`engage eval`: run the dataset, print the table, write the reports, apply the gate.

Exit codes: 0 when the run (and the gate, if asked) passed, 1 when the gate failed, naming each
metric that dropped, 2 on bad input (dataset, predictions, baseline, price table, settings),
with the reason on stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from agent.errors import ConfigError, InputError
from eval.cost import DEFAULT_PRICES, load_prices
from eval.dataset import load_dataset, select
from eval.embeddings import Embedder, MiniLMEmbedder
from eval.gate import compare_reports, load_report
from eval.report import Report, build_report, print_table, write_html, write_json
from eval.runner import run_eval

EmbedderFactory = Callable[[], Embedder]

DatasetArg = Annotated[Path, typer.Argument(help="The eval dataset, JSONL, one call per line.")]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="rules, openai, or replay:PREDICTIONS.jsonl (default: the configured engine).",
    ),
]
PromptOpt = Annotated[str | None, typer.Option("--prompt", help="Prompt version, e.g. v1.")]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write the JSON report here.")]
HtmlOpt = Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", help="A JSON report to gate against.")
]
MaxDropOpt = Annotated[
    float, typer.Option("--max-drop", min=0.0, help="Largest allowed drop of a share.")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N calls.")]
JobsOpt = Annotated[int, typer.Option("--jobs", min=1, help="Calls run in parallel.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Ask the engine afresh.")]
PricesOpt = Annotated[
    Path, typer.Option("--prices", help="Price table, USD per million tokens per model.")
]
CalibrateOpt = Annotated[
    bool,
    typer.Option(
        "--calibrate",
        help="Print each field's confidence threshold for the target precision instead "
        "(--json writes them).",
    ),
]
TargetOpt = Annotated[
    float,
    typer.Option("--target-precision", min=0.01, max=1.0, help="Precision --calibrate keeps."),
]


class EvalGroup(TyperGroup):
    """`engage eval DATASET …` scores; a known subcommand (`export-reviews`) runs instead."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """`ctx` is typer's bundled click context (its own `Context` type)."""
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer, *, embedder_factory: EmbedderFactory = MiniLMEmbedder.load) -> None:
    """Add `eval` to the main CLI; tests pass a stand-in embedder factory."""
    from agent.cli_reviews import register_export

    eval_app = typer.Typer(
        cls=EvalGroup, no_args_is_help=True, help="Score an engine, or export reps' reviews."
    )
    app.add_typer(eval_app, name="eval")
    register_export(eval_app)

    @eval_app.command("run")
    def eval_command(
        dataset: DatasetArg,
        engine: EngineOpt = None,
        prompt: PromptOpt = None,
        json_out: JsonOpt = None,
        html_out: HtmlOpt = None,
        baseline: BaselineOpt = None,
        max_drop: MaxDropOpt = 0.02,
        limit: LimitOpt = None,
        jobs: JobsOpt = 1,
        no_cache: NoCacheOpt = False,
        prices: PricesOpt = DEFAULT_PRICES,
        calibrate: CalibrateOpt = False,
        target_precision: TargetOpt = 0.9,
    ) -> None:
        """Score an engine (or stored predictions) on the eval dataset."""
        err = Console(stderr=True)
        try:
            if calibrate:
                _calibrate(
                    dataset=dataset,
                    engine=engine,
                    prompt=prompt,
                    limit=limit,
                    target=target_precision,
                    use_cache=not no_cache,
                    json_out=json_out,
                )
                return
            base = load_report(baseline) if baseline else None
            report = _run(
                dataset=dataset,
                engine=engine,
                prompt=prompt,
                limit=limit,
                jobs=jobs,
                use_cache=not no_cache,
                prices=prices,
                err=err,
                embedder_factory=embedder_factory,
            )
            if json_out:
                write_json(report, json_out)
            if html_out:
                write_html(report, html_out)
            print_table(report, Console())
            if base is not None:
                _gate(base, report, max_drop=max_drop, baseline=baseline, err=err)
        except (InputError, ConfigError) as exc:
            _say(err, f"[bold red]error:[/] {exc}")
            raise typer.Exit(2) from None


def _calibrate(
    *,
    dataset: Path,
    engine: str | None,
    prompt: str | None,
    limit: int | None,
    target: float,
    use_cache: bool,
    json_out: Path | None,
) -> None:
    from eval.calibrate import run_calibration

    if engine is None:
        from agent.settings import get_settings

        engine = get_settings().engine
    run_calibration(
        dataset=dataset,
        engine=engine,
        prompt=prompt,
        limit=limit,
        target=target,
        use_cache=use_cache,
        json_out=json_out,
        console=Console(),
    )


def _say(err: Console, message: str) -> None:
    """One message on stderr, never wrapped, so scripts can grep it."""
    err.print(message, highlight=False, soft_wrap=True)


def _gate(
    base: Report, report: Report, *, max_drop: float, baseline: Path | None, err: Console
) -> None:
    regressions = compare_reports(base, report, max_drop=max_drop)
    if regressions:
        _say(err, f"[bold red]gate failed[/] (allowed drop {max_drop}):")
        for regression in regressions:
            _say(err, f"  {regression}")
        raise typer.Exit(1)
    _say(err, f"gate passed against {baseline} (allowed drop {max_drop})")


def _run(
    *,
    dataset: Path,
    engine: str | None,
    prompt: str | None,
    limit: int | None,
    jobs: int,
    use_cache: bool,
    prices: Path,
    err: Console,
    embedder_factory: EmbedderFactory,
) -> Report:
    every = load_dataset(dataset)
    calls = select(every, limit)
    price_table = load_prices(prices)
    if engine is None:
        from agent.settings import get_settings

        engine = get_settings().engine
    embedder = embedder_factory()
    run = run_eval(
        calls,
        engine=engine,
        embedder=embedder,
        dataset=str(dataset),
        known_ids={c.id for c in every},
        prompt_version=prompt,
        jobs=jobs,
        use_cache=use_cache,
        console=err,
    )
    return build_report(run, prices=price_table)
