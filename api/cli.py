"""The `otklik` command: serve, worker, demo."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
import uvloop  # uvicorn[standard] brings it; `otklik serve` runs on it through uvicorn, the worker here

from api.app import create_app
from api.commands import bus as bus_commands
from api.commands import campaigns as campaigns_commands
from api.commands import check as check_commands
from api.commands import customers as customers_commands
from api.commands import dialogs as dialogs_commands
from api.commands import directory as directory_commands
from api.commands import mail as mail_commands
from api.commands import nlu as nlu_commands
from api.commands import reports as reports_commands
from api.commands import reviews as reviews_commands
from api.commands import telegram as telegram_commands
from api.commands import tokens as tokens_commands
from api.commands import users as users_commands
from api.commands import viber as viber_commands
from api.commands import webhooks as webhooks_commands
from api.commands.environment import load_settings
from api.health_server import serve_health
from api.wiring import running_hub
from hub.logs import configure_logging
from hub.settings import Settings
from hub.worker import run_worker

app = typer.Typer(help="Otklik: omnichannel customer-feedback hub.", no_args_is_help=True)
bot = typer.Typer(help="Long-running bot runners (development: no public URL needed).", no_args_is_help=True)
app.add_typer(bot, name="bot")
bot.command("telegram")(telegram_commands.polling)
app.add_typer(bus_commands.app, name="bus")
app.add_typer(dialogs_commands.app, name="dialogs")
app.add_typer(mail_commands.app, name="mail")
app.add_typer(nlu_commands.app, name="nlu")
app.add_typer(reports_commands.app, name="reports")
app.add_typer(tokens_commands.app, name="tokens")
app.add_typer(telegram_commands.app, name="telegram")
app.add_typer(viber_commands.app, name="viber")
app.add_typer(webhooks_commands.app, name="webhooks")
app.add_typer(users_commands.app, name="users")
app.add_typer(users_commands.groups_app, name="groups")
app.add_typer(directory_commands.app, name="directory")
app.add_typer(customers_commands.app, name="customers")
app.add_typer(reviews_commands.app, name="reviews")
app.add_typer(campaigns_commands.app, name="campaigns")


@app.command("check")
def check() -> None:
    """Check routes, case catalogue, calendars, flows and accounts against the directory (file:line; exit 1)."""
    check_commands.check(load_settings())


def refuse_on_problems(settings: Settings, command: str) -> None:
    """Run `otklik check`; on errors print them and exit 1 instead of starting `command`."""
    report = check_commands.run_check(settings)
    for line in report.lines():
        typer.echo(line, err=True)
    if not report.ok:
        typer.echo(f"otklik {command}: not starting: {len(report.errors)} configuration error(s) above; fix them "
                   "(otklik check shows them again) or start with --skip-checks", err=True)
        raise typer.Exit(1)


SkipChecks = Annotated[bool, typer.Option("--skip-checks", help="Start without `otklik check` (not advised).")]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default OTKLIK_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default OTKLIK_PORT).")] = None,
    skip_checks: SkipChecks = False,
) -> None:
    """Run the HTTP API (and, on the in-process bus, the worker too), once the configuration checks out."""
    settings = load_settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    if not skip_checks:
        refuse_on_problems(settings, "serve")
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                log_config=None, access_log=False, **proxy_options(settings))  # otklik.access logs requests


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's X-Forwarded-For handling: only from OTKLIK_TRUSTED_PROXIES (uvicorn would trust 127.0.0.1)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxies}


@app.command()
def worker(
    health_port: Annotated[int | None, typer.Option(
        envvar="OTKLIK_WORKER_HEALTH_PORT", help="Serve /healthz, /readyz and /metrics on this port (on OTKLIK_HOST).",
    )] = None,
) -> None:
    """Consume the inbound and outbound streams (needs OTKLIK_BUS=redis); stops cleanly on SIGTERM."""
    settings = load_settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    if settings.bus != "redis":
        typer.echo("otklik worker needs OTKLIK_BUS=redis; on the in-process bus `otklik serve` runs it", err=True)
        raise typer.Exit(2)
    uvloop.run(_work(settings, health_port))  # the loop `otklik serve` gets from uvicorn, for the worker too


async def _work(settings: Settings, health_port: int | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_hub(settings) as hub:
        if health_port is None:
            await run_worker(hub, stop)
        else:
            await asyncio.gather(run_worker(hub, stop), serve_health(hub, settings.host, health_port, stop))


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Bind address (0.0.0.0: reachable from other machines).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    env_file: Annotated[Path, typer.Option(help="Where the generated demo secrets are kept.")] = Path(".env"),
) -> None:
    """Create demo secrets (once, in .env), load demo data and serve on the embedded default."""
    from api.demo.seed import ensure_demo_env, seed
    from api.demo.staff import banner, ensure_demo_password

    token = ensure_demo_env(env_file)
    password = ensure_demo_password(env_file)
    settings = load_settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    asyncio.run(seed(settings, password))
    refuse_on_problems(settings, "demo")  # the demo's own data must check out: every topic reaches a person
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # an address a browser here can open
    base = f"http://{shown}:{port}"
    typer.echo(
        f"\nOtklik demo on {base}\n"
        + banner(base, password) +
        f"  web chat:  {base}/chat\n"
        f"  API docs:  {base}/docs\n"
        f"  API channel: curl -H 'Authorization: Bearer {token}' -H 'content-type: application/json' \\\n"
        f"     -d '{{\"user_id\":\"u1\",\"message_id\":\"m1\",\"text\":\"Где мой заказ?\"}}' "
        f"{base}/channels/api/demo/messages\n"
        f"  its thread: curl -H 'Authorization: Bearer {token}' {base}/channels/api/demo/users/u1/messages\n",
        err=True,
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False,
                **proxy_options(settings))


def main() -> None:
    """Entry point for `python -m api.cli`."""
    app()


if __name__ == "__main__":
    main()
