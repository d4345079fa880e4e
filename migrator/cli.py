"""The `migrator` command line: thin commands over `migrator.api` (docs/INTERFACE.md).

Every command builds frozen settings from its flags and the environment, calls one library
function, renders the result, and exits with a code scripts can branch on. `MigratorError` is
turned into one clear line (never a traceback, never the token) in exactly one place: `main`.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click

from migrator import __version__, api
from migrator.errors import MigratorError, redact
from migrator.report.terminal import safe_streams, set_color, set_verbose
from migrator.systems import NAMES, SECRET_ENV
from migrator.target import TargetSpec


class NewFile(click.Path):
    """A file migrator may create: its folder must exist (a typo in it is a usage error, never a folder
    created in the wrong place, nor a traceback), and it must not be a folder itself."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        folder = Path(os.fsdecode(path)).parent
        if not folder.is_dir():
            self.fail(f"the folder {str(folder)!r} does not exist: create it first, or check the path", param, ctx)
        return path


NEW_FILE = NewFile()
LEDGER_HELP = "Ledger file (one per target account). Default: ./migrator-ledger.sqlite."
SOURCE_ARG = click.argument("source", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))


def _source_options(f: Any) -> Any:
    f = click.option(
        "--from",
        "system",
        type=click.Choice(NAMES),
        help="Force the source system instead of detecting it from each file's root element.",
    )(f)
    f = click.option(
        "--keep-going", is_flag=True, help="Report bad files and records under errors and go on with the rest."
    )(f)
    f = click.option(
        "--include-deleted",
        is_flag=True,
        help="Also migrate FreshBooks records from the deleted folder (skipped by default).",
    )(f)
    f = click.option(
        "--map",
        "map_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Overrides file (TOML): [people] who a source person is in the target, [rename], [skip], "
        "[only] a pilot or a date window. See the README.",
    )(f)
    return f


def _target_options(f: Any) -> Any:
    f = click.option(
        "--target",
        metavar="URL",
        help="Harvest v2 base URL. Default: $HARVEST_BASE_URL, else https://api.harvestapp.com/v2.",
    )(f)
    f = click.option(
        "--sandbox",
        is_flag=True,
        help="Use the built-in Harvest v2 sandbox (no credentials; its account is kept beside the ledger).",
    )(f)
    f = click.option(
        "--rate",
        metavar="N/S",
        help="Client-side request budget: N requests per S seconds. Default 100/15 (Harvest's limit).",
    )(f)
    return f


def _receipt_option(f: Any) -> Any:
    return click.option(
        "--receipt-limit",
        metavar="SIZE",
        default="100MB",
        show_default=True,
        help="Largest receipt file sent to Harvest (it documents no limit; see the README), e.g. 10MB. "
        "A larger one is not sent: the expense loads without it and a lossy note names the file.",
    )(f)


def _ledger_option(f: Any) -> Any:
    f = click.option(
        "--ledger",
        type=NEW_FILE,
        default=Path("migrator-ledger.sqlite"),
        show_default=True,
        help=LEDGER_HELP,
    )(f)
    return _terminal_options(f)


def _terminal_options(f: Any) -> Any:
    f = click.option(
        "--color/--no-color",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=lambda _ctx, _param, value: set_color(value),
        help="Colour the output. Default: on a terminal, unless NO_COLOR is set.",
    )(f)
    f = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=lambda _ctx, _param, value: set_verbose(value),
        help="Log retries, 429 waits and reconciliation decisions on stderr (the token is never shown).",
    )(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="migrator")
def cli() -> None:
    """Move a Harvest v1 or FreshBooks Classic account into Harvest API v2.

    Nothing is ever created twice: every source record is mapped to its v2 id in a ledger, so a
    run can be repeated or resumed after a crash. Start with `migrator export` (the legacy account
    into a folder), then `migrator plan` (a dry run), `migrator run` and `migrator verify`.

    \b
    Credentials for a real account come from the environment:
      HARVEST_ACCESS_TOKEN  a personal access token (https://id.getharvest.com/developers)
      HARVEST_ACCOUNT_ID    the account id shown beside it
      HARVEST_BASE_URL      optional, default https://api.harvestapp.com/v2

    \b
    Example, from any folder (no account needed: built-in sandboxes serve the shipped fixture accounts):
      migrator export harvest-v1 demo/harvest-v1 --sandbox
      migrator run demo --sandbox --batch demo --create-users
      migrator verify demo --sandbox
    """


@cli.command()
@SOURCE_ARG
@_ledger_option
@_target_options
@click.option(
    "--offline", is_flag=True, help="Do not contact the target: plan as if it were empty (ledger still used)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts (shapes in docs/INTERFACE.md), markdown for a bookkeeper's report, "
    "html: one self-contained page to sign off (needs --output).",
)
@click.option("--output", type=NEW_FILE, help="Write the report to this file instead of stdout.")
@click.option(
    "--save-plan",
    type=NEW_FILE,
    help="Save this plan; `run --plan F` then applies exactly it, or refuses if anything changed.",
)
@click.option(
    "--lossy-csv",
    type=NEW_FILE,
    help="Also write every lossy note to this CSV file (severity, record, field, note, file, line), money first.",
)
@click.option(
    "--create-users", is_flag=True, help="Plan to create users missing from the target (Harvest emails them)."
)
@click.option("--recreate-missing", is_flag=True, help="Plan to recreate objects deleted by hand in the target.")
@click.option(
    "--prune",
    type=click.Choice(["archive", "delete"]),
    help="Show what `run --prune` would do with records the ledger holds and the source no longer has.",
)
@_source_options
@_receipt_option
def plan(
    source: tuple[Path, ...],
    ledger: Path,
    target: str | None,
    sandbox: bool,
    rate: str | None,
    offline: bool,
    fmt: str,
    output: Path | None,
    save_plan: Path | None,
    lossy_csv: Path | None,
    create_users: bool,
    recreate_missing: bool,
    prune: str | None,
    system: str | None,
    keep_going: bool,
    include_deleted: bool,
    map_file: Path | None,
    receipt_limit: str,
) -> None:
    """Dry run: show what `run` would create, update, adopt or skip, and what cannot be carried over.

    Writes nothing anywhere except --output. Exit code: 0 nothing to do, 2 changes planned, 1 error.

    \b
    Examples:
      migrator plan fixtures/harvest-v1 --offline
      migrator plan exports/ --format json --output plan.json
      migrator plan exports/ --format html --output plan.html
    """
    from migrator.report.progress import PhasePrinter

    _html_needs_output(fmt, output)
    spec = TargetSpec.from_options(
        target=target, sandbox=sandbox, offline=offline, rate=rate, env=os.environ, receipt_limit=receipt_limit
    )
    options = api.SourceOptions(source, system, keep_going, include_deleted, map_file)
    with PhasePrinter() as phases:
        report = api.plan(
            options,
            target=spec,
            ledger_path=ledger,
            create_users=create_users,
            recreate_missing=recreate_missing,
            prune=prune,
            progress=phases,
        )
    with report:
        if save_plan:
            from migrator.plan.saved_plan import save

            save(save_plan, report, source)
            click.echo(f"Plan saved to {save_plan}; apply it with `migrator run … --plan {save_plan}`.", err=True)
        if lossy_csv:
            from migrator.report.lossy_csv import write_lossy_csv

            count = write_lossy_csv(report, lossy_csv)
            click.echo(f"{count} lossy notes written to {lossy_csv}.", err=True)
        _write_plan(report, fmt, output, _target_label(spec))
        code = _plan_exit_code(report, keep_going)
    sys.exit(code)


def _write_plan(report: Any, fmt: str, output: Path | None, target: str = "") -> None:
    """The plan report in `fmt`, to `output` or stdout (JSON change by change: never one huge string)."""
    from migrator.report.plan_json import write_plan_json
    from migrator.report.plan_markdown import render_plan_markdown
    from migrator.report.plan_text import render_plan_text

    if fmt == "json":
        if output:
            with output.open("w", encoding="utf-8") as handle:
                write_plan_json(report, handle.write)
        else:
            write_plan_json(report, sys.stdout.write)
    elif fmt == "html" and output:
        from migrator.report.plan_html import render_plan_html

        output.write_text(render_plan_html(report, target=target), encoding="utf-8")
    else:
        text = render_plan_markdown(report) if fmt == "markdown" else render_plan_text(report)
        if output:
            output.write_text(click.unstyle(text), encoding="utf-8")
        else:
            click.echo(text, nl=False)
    if output:
        click.echo(f"Plan written to {output}.", err=True)


def _plan_exit_code(report: Any, keep_going: bool) -> int:
    """The plan's exit code; when records are in error, say so on stderr too, in one line."""
    code: int = report.exit_code(keep_going)
    if code == 1:
        errors = report.errors
        count, first = len(errors), errors[0]["message"]
        more = f" (and {count - 1} more, all in the plan's errors)" if count > 1 else ""
        click.echo(f"Error: {one_line(first)}{more}; fix the source, or pass --keep-going to plan the rest", err=True)
    return code


@cli.command()
@SOURCE_ARG
@click.option("--batch", required=True, help="Batch name. Running the same batch again resumes it.")
@_ledger_option
@_target_options
@click.option(
    "--create-users", is_flag=True, help="Create users missing from the target. Harvest emails each one an invitation."
)
@click.option("--recreate-missing", is_flag=True, help="Recreate objects that were deleted by hand in the target.")
@click.option(
    "--prune",
    type=click.Choice(["archive", "delete"]),
    help="After loading, act on records the ledger holds and the source no longer has (a cut-over): "
    "archive them, or delete them (archived instead where a delete would destroy other history).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Requests in flight at once (all share the one rate limit).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json: one document of the outcome for scripts.",
)
@click.option(
    "--plan",
    "saved_plan",
    type=click.Path(exists=True, path_type=Path),
    help="Apply exactly this saved plan (from `plan --save-plan`); refuse if anything changed since.",
)
@_source_options
@_receipt_option
def run(
    source: tuple[Path, ...],
    batch: str,
    saved_plan: Path | None,
    ledger: Path,
    target: str | None,
    sandbox: bool,
    rate: str | None,
    create_users: bool,
    recreate_missing: bool,
    prune: str | None,
    concurrency: int,
    system: str | None,
    keep_going: bool,
    include_deleted: bool,
    map_file: Path | None,
    fmt: str,
    receipt_limit: str,
) -> None:
    """Load the source into Harvest v2 in dependency order; resume the batch if it exists.

    Progress goes to stderr; the plan and the summary (or, with --format json, one JSON document
    of the outcome: counts, requests and every record not loaded) to stdout.
    Exit code: 0 done, 3 finished with rejected records (listed), 1 error.

    \b
    Examples:
      migrator run fixtures/harvest-v1 --sandbox --batch demo --create-users
      HARVEST_ACCESS_TOKEN=… HARVEST_ACCOUNT_ID=… migrator run exports/ --batch 2026-11
    """
    from migrator import jsonio
    from migrator.report.progress import PhasePrinter
    from migrator.report.run_text import ProgressPrinter, render_run_summary, run_document

    spec = TargetSpec.from_options(
        target=target, sandbox=sandbox, rate=rate, env=os.environ, receipt_limit=receipt_limit
    )
    options = api.SourceOptions(source, system, keep_going, include_deleted, map_file)

    def show_plan(report: Any) -> None:
        phases.stop()
        if fmt == "text":
            progress.show_plan(report)

    with PhasePrinter() as phases, ProgressPrinter() as progress:
        report = api.run(
            options,
            batch=batch,
            target=spec,
            ledger_path=ledger,
            create_users=create_users,
            recreate_missing=recreate_missing,
            concurrency=concurrency,
            progress=progress.update,
            on_plan=show_plan,
            saved_plan=saved_plan,
            prune=prune,
            plan_progress=phases,
        )
    with report.plan:
        if fmt == "json":
            click.echo(jsonio.dumps(run_document(report), indent=2))
        else:
            click.echo(render_run_summary(report), nl=False)
    sys.exit(report.exit_code)


@cli.command()
@_ledger_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--rejected", is_flag=True, help="List every record not loaded (invalid, rejected, blocked, unknown) and why."
)
def status(ledger: Path, fmt: str, rejected: bool) -> None:
    """Show batches, per-kind counts per state (done/adopted/pending/rejected/blocked) and pending intents.

    \b
    Examples:
      migrator status --ledger migrator-ledger.sqlite --format json
      migrator status --rejected
    """
    from migrator import jsonio
    from migrator.report.status_text import render_status

    data = api.status(ledger, rejected=rejected)
    click.echo(jsonio.dumps(data, indent=2) if fmt == "json" else render_status(data), nl=fmt == "json")


@cli.command()
@SOURCE_ARG
@_ledger_option
@_target_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts, html: one self-contained page to sign off (needs --output).",
)
@click.option("--output", type=NEW_FILE, help="Write the report to this file instead of stdout.")
@click.option(
    "--accept-explained",
    is_flag=True,
    help="Exit 0 when every difference is explained by a lossy note of the plan (still listed).",
)
@_source_options
@_receipt_option
def verify(
    source: tuple[Path, ...],
    ledger: Path,
    target: str | None,
    sandbox: bool,
    rate: str | None,
    fmt: str,
    output: Path | None,
    accept_explained: bool,
    system: str | None,
    keep_going: bool,
    include_deleted: bool,
    map_file: Path | None,
    receipt_limit: str,
) -> None:
    """Re-read the target and compare it with the source's own figures, record by record.

    Counts per kind; hours; invoice amounts, due amounts and states, and payments, per currency, as
    the legacy system stated them; archived states; each project's assignments. Every difference
    names the record (SYSTEM:KIND:ID), the field, both values and the lossy note that explains it.

    Exit code: 0 equal, 2 differences, 1 error. With --accept-explained, 0 when every difference is
    explained by a lossy note.

    Besides the totals: hours per month, per person and per project, and every migrated time entry
    and expense field by field (date, hours or amount, person, project, task or category, billable,
    notes).

    \b
    Examples:
      migrator verify fixtures/harvest-v1 --sandbox
      migrator verify exports/ --format html --output verify.html
    """
    from migrator import jsonio
    from migrator.report.verify_text import render_verify

    _html_needs_output(fmt, output)
    spec = TargetSpec.from_options(
        target=target, sandbox=sandbox, rate=rate, env=os.environ, receipt_limit=receipt_limit
    )
    options = api.SourceOptions(source, system, keep_going, include_deleted, map_file)
    report = api.verify(options, target=spec, ledger_path=ledger)
    if fmt == "html":
        from migrator.report.verify_html import render_verify_html

        text = render_verify_html(report, sources=[str(path) for path in source], target=_target_label(spec))
    else:
        text = jsonio.dumps(report.document(), indent=2) + "\n" if fmt == "json" else render_verify(report)
    if output:
        output.write_text(click.unstyle(text), encoding="utf-8")
        click.echo(f"Verification written to {output}.", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(report.exit_code(accept_explained))


def _html_needs_output(fmt: str, output: Path | None) -> None:
    """An HTML report is a file to open or send, never a terminal stream: refuse before any work."""
    if fmt == "html" and output is None:
        raise click.UsageError("--format html writes one self-contained file: add --output FILE.html")


def _target_label(spec: TargetSpec | None) -> str:
    """The target as a report names it (a sandbox by that word; a URL without any credential)."""
    if spec is None or spec.mode == "offline":
        return "none (offline: compared with an empty target)"
    if spec.mode == "sandbox":
        return "the built-in Harvest v2 sandbox"
    url = urlsplit(spec.url or spec.env.get("HARVEST_BASE_URL") or "https://api.harvestapp.com/v2")
    shown = url._replace(netloc=url.hostname + (f":{url.port}" if url.port else "") if url.hostname else url.netloc)
    return redact(urlunsplit(shown._replace(query="", fragment="")), spec.env.get("HARVEST_ACCESS_TOKEN"))


@cli.command()
@click.option("--batch", required=True, help="The batch to undo.")
@_ledger_option
@_target_options
def rollback(batch: str, ledger: Path, target: str | None, sandbox: bool, rate: str | None) -> None:
    """Remove what a batch created, children first; adopted objects are never deleted.

    Objects that now carry data the batch did not create (a project with other people's time) are
    archived instead, and listed. Resumable; a second rollback does nothing.

    \b
    Example:
      migrator rollback --batch demo --sandbox
    """
    spec = TargetSpec.from_options(target=target, sandbox=sandbox, rate=rate, env=os.environ)
    result = api.rollback(batch=batch, target=spec, ledger_path=ledger)
    for line in result.archived:
        click.echo(f"archived instead of deleted: {line}")
    deleted = ", ".join(f"{n} {kind}" for kind, n in result.deleted.items()) or "nothing"
    click.echo(f"Rolled back batch {batch}: deleted {deleted}; archived {len(result.archived)}.")


@cli.command("export")
@click.argument("system", type=click.Choice(NAMES))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--url",
    metavar="URL",
    help="The account's address, e.g. https://acme.harvestapp.com (harvest-v1) or "
    "https://globex.freshbooks.com/api/2.1/xml-in (freshbooks; the API path is added when missing). "
    "Default: $HARVEST_V1_URL (harvest-v1), $FRESHBOOKS_URL (freshbooks).",
)
@click.option("--sandbox", is_flag=True, help="Export the system's built-in sandbox (its shipped fixture account).")
@click.option(
    "--rate",
    metavar="N/S",
    help="Client-side request budget: N requests per S seconds, shared by every request. Default for "
    "harvest-v1: 100/15 (Harvest's limit); for freshbooks: 2/1 (FreshBooks documents no limit: two requests a "
    "second is polite to a shared service and exports 100,000 time entries in under half an hour); with "
    "--sandbox: 100/15, the built-in sandbox's own limit.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-receipts", is_flag=True, help="Do not fetch receipt files (a later run without it fetches them).")
@click.option(
    "--refresh",
    is_flag=True,
    help="Fetch everything again into the same OUT; files an earlier export had that the account no longer "
    "produces are removed, so OUT holds exactly the current account.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Requests in flight at once (all within the one budget).",
)
@_terminal_options
def export_command(
    system: str,
    out: Path,
    url: str | None,
    sandbox: bool,
    rate: str | None,
    fmt: str,
    no_receipts: bool,
    refresh: bool,
    concurrency: int,
) -> None:
    """Read a whole live legacy account into OUT: every API response as received, plus export.json.

    Harvest v1: who the credentials belong to first (an administrator, or nothing is written),
    every list, each project's assignments and day entries and each person's expenses in date
    windows covering every possible date, every invoice with its line items, payments and
    messages, and every receipt (OUT/receipts/<expense id>.<ext>).

    FreshBooks Classic: system.current and staff.current first (the admin's token, or nothing is
    written), every list paged to its end with per_page 100 and re-checked until it holds its
    stated total, the deleted folder of every family that has folders, summary records fetched
    whole, and receipt.get for every expense (those without a receipt are counted).

    Throttling (503 or 429 + Retry-After) holds every request; failures are retried. Run it again
    to resume: only what was in flight is fetched again, and a complete OUT costs no request.
    Then `migrator plan OUT`.

    \b
    Credentials (never written anywhere, never shown):
      HARVEST_V1_URL                          the account's address (or --url)
      HARVEST_V1_EMAIL, HARVEST_V1_PASSWORD   an administrator's login (HTTP Basic), or
      HARVEST_V1_TOKEN                        an administrator's OAuth2 token
      FRESHBOOKS_URL                          the API endpoint (or --url)
      FRESHBOOKS_TOKEN                        the account admin's API token (HTTP Basic user name)

    Exit code: 0 complete, 1 error (one line naming the request; what was fetched stays).

    \b
    Examples:
      migrator export harvest-v1 out/ --sandbox && migrator plan out/ --offline
      HARVEST_V1_URL=https://acme.harvestapp.com HARVEST_V1_EMAIL=… HARVEST_V1_PASSWORD=… \\
        migrator export harvest-v1 exports/acme
      FRESHBOOKS_URL=https://globex.freshbooks.com FRESHBOOKS_TOKEN=… migrator export freshbooks exports/globex
    """
    from migrator import jsonio
    from migrator.export.settings import ExportSettings
    from migrator.report.export_text import ExportProgressPrinter, render_export_summary

    settings = ExportSettings.from_options(
        system, out, env=os.environ, url=url, sandbox=sandbox, rate=rate, receipts=not no_receipts,
        refresh=refresh, concurrency=concurrency,
    )  # fmt: skip
    with ExportProgressPrinter() as progress:
        report = api.export(settings, progress=progress.update)
    text = jsonio.dumps(report.document(), indent=2) if fmt == "json" else render_export_summary(report)
    click.echo(text, nl=fmt == "json")


@cli.command("sandbox")
@_terminal_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option("--rate", metavar="N/S", default="100/15", show_default=True, help="Server-side rate limit (429 beyond).")
@click.option("--latency-ms", type=int, default=0, show_default=True, help="Delay added to every request.")
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of requests that fail: 500 before commit, 502 after commit, dropped connection, stall.",
)
@click.option("--timestamp-timers", is_flag=True, help="The account tracks time by start and end time.")
@click.option("--state", type=NEW_FILE, help="Keep the account in this SQLite file (created if missing).")
@click.option(
    "--receipt-limit",
    metavar="SIZE",
    default="100MB",
    show_default=True,
    help="Largest expense receipt file accepted (422 beyond), e.g. 10MB.",
)
@click.option(
    "--system",
    type=click.Choice(NAMES),
    help="Serve this legacy system's API instead of Harvest v2, from a folder of saved responses.",
)
@click.option(
    "--from",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="With --system: the folder of saved responses to serve. Default: the shipped fixture account.",
)
@click.option(
    "--trap",
    "traps",
    multiple=True,
    metavar="NAME[=PATH]",
    help="With --system harvest-v1: non-admin, inactive, bad-id, narrow-hints, shifting-pages, truncated, "
    "hostile (PATH picks the record a trap hits). With --system freshbooks: staff-token, deleted-folder, "
    "shifting-pages, lying-pages, summary-lists, fail, wrong-system, truncated, hostile (PATH: the method a trap "
    "hits, e.g. fail=invoice.list). Repeatable.",
)
@click.option(
    "--page-size",
    type=click.IntRange(1),
    help="With --system: the most records a list page holds (harvest-v1: 50 invoices, as v1; freshbooks: 100, "
    "FreshBooks' maximum per_page).",
)
def sandbox_command(
    host: str,
    port: int,
    rate: str,
    latency_ms: int,
    fault_rate: float,
    timestamp_timers: bool,
    state: Path | None,
    system: str | None,
    folder: Path | None,
    traps: tuple[str, ...],
    page_size: int | None,
    receipt_limit: str,
) -> None:
    """Serve the built-in Harvest v2 sandbox until interrupted, or with --system a legacy API.

    The first line printed is exactly `Harvest v2 sandbox listening on http://HOST:PORT/v2`
    (with --system harvest-v1: `Harvest v1 sandbox listening on http://HOST:PORT`; with --system
    freshbooks: `FreshBooks sandbox listening on http://HOST:PORT/api/2.1/xml-in`).
    GET /__sandbox/stats reports requests, 429s (503s), injected faults and emails Harvest would
    have sent (for a legacy API: the request log with every Retry-After window it gave).

    \b
    Point migrator at the v2 sandbox with its credentials (the same every time):
      HARVEST_ACCESS_TOKEN=sandbox-token HARVEST_ACCOUNT_ID=1000001 \\
        migrator run fixtures/harvest-v1 --target http://127.0.0.1:8080/v2 --batch demo --create-users

    \b
    Examples:
      migrator sandbox --port 8080 --latency-ms 100 --fault-rate 0.2
      migrator sandbox --system harvest-v1 --rate 5/1 --trap shifting-pages --page-size 2
      migrator sandbox --system freshbooks --trap lying-pages --trap shifting-pages=time_entry.list --page-size 2
    """
    from migrator.config import RateLimit

    limit = RateLimit.parse(rate)
    if system is not None:
        if latency_ms or timestamp_timers or state is not None:
            raise click.UsageError("--latency-ms, --timestamp-timers and --state are for the Harvest v2 sandbox")
        from migrator.sandbox.legacy import serve as serve_legacy

        serve_legacy(
            system, folder=folder, host=host, port=port, rate=(limit.requests, limit.seconds), traps=traps,
            fault_rate=fault_rate, page_size=page_size,
        )  # fmt: skip
        return
    if folder is not None or traps:
        raise click.UsageError("--from and --trap need --system (a legacy API)")
    from migrator.harvest.receipts import parse_size
    from migrator.sandbox import serve

    largest = parse_size(receipt_limit)
    serve(
        host=host,
        port=port,
        rate=(limit.requests, limit.seconds),
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        timestamp_timers=timestamp_timers,
        state_path=state,
        receipt_limit=largest,
    )


INTERRUPTED = (
    "Interrupted. The ledger is consistent: run the same command again to resume (nothing loaded is sent twice)."
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(text: str) -> str:
    """An error as exactly one terminal line: control characters from file names or a response body
    (a newline, a carriage return that would overwrite the line) are shown escaped, never obeyed."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text.strip())


def main() -> None:
    """Entry point: run the CLI, turning every `MigratorError` into one line and exit 1.

    A usage error (an unknown option, a missing path, a bad value) exits 1 too: exit 2 means
    "changes planned" / "differences" to scripts, never "you typed it wrong" (docs/INTERFACE.md).
    """
    secrets = [os.environ.get(name) for name in SECRET_ENV]  # the v2 token and every legacy credential
    safe_streams()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1)
    except click.exceptions.Abort as abort:
        if isinstance(abort.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            click.echo(INTERRUPTED, err=True)
            sys.exit(130)
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except MigratorError as exc:
        click.echo(f"Error: {one_line(redact(str(exc), *secrets))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(INTERRUPTED, err=True)
        sys.exit(130)
