"""Commands: run the team workspace web app, and create its first admin."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, console, err_console

_DB_HELP = (
    "Database URL: sqlite:///FILE or postgresql://USER@HOST/DB [default: DATA-DIR/journeyscope.db]."
)
_DATA_HELP = "Folder for the SQLite database, uploads, quarantine files and the session key."


@app.command()
def serve(
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    data_dir: Path = typer.Option(Path("journeyscope-data"), "--data-dir", help=_DATA_HELP),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Send the session cookie over HTTPS only (behind TLS)."
    ),
    max_upload_mb: float = typer.Option(
        50, "--max-upload-mb", help="Largest event file accepted, in megabytes."
    ),
    workers: int = typer.Option(1, "--analysis-workers", help="Threads that run analyses."),
    public_url: str = typer.Option(
        "http://localhost:8000",
        "--public-url",
        help="The address people open the workspace at (links in e-mails and webhooks).",
    ),
    smtp_host: str | None = typer.Option(
        None, "--smtp-host", help="SMTP server for e-mail notifications (none: in the app only)."
    ),
    smtp_port: int = typer.Option(587, "--smtp-port", help="SMTP port (587 STARTTLS, 465 TLS)."),
    smtp_from: str = typer.Option(
        "journeyscope@localhost", "--smtp-from", help="Sender address of notification e-mails."
    ),
    smtp_security: str = typer.Option(
        "starttls", "--smtp-security", help="starttls, ssl or none (a relay on a trusted network)."
    ),
    smtp_user: str | None = typer.Option(None, "--smtp-user", help="SMTP login name, if any."),
    smtp_password: str | None = typer.Option(
        None,
        "--smtp-password",
        envvar="JOURNEYSCOPE_SMTP_PASSWORD",
        help="SMTP password (better: the JOURNEYSCOPE_SMTP_PASSWORD environment variable).",
    ),
    webhook_url: str | None = typer.Option(
        None, "--webhook-url", help="Slack-compatible incoming webhook told of every notification."
    ),
    schedule_minutes: float = typer.Option(
        15,
        "--schedule-minutes",
        help="Minutes between re-checks of map status and daily digests (0: off).",
    ),
    keep_days: float = typer.Option(
        365, "--keep-files-days", help="Days an uploaded data-source file is kept, then deleted."
    ),
) -> None:
    """Run the team workspace: maps, editor, history, comments, evidence and the REST API."""
    import os

    import uvicorn

    from ..web import Settings, create_app
    from ..web.settings import connections_from_env

    if smtp_security not in ("starttls", "ssl", "none"):
        raise typer.BadParameter("use starttls, ssl or none", param_hint="--smtp-security")
    try:  # the allow-lists of data-source connections: from the environment only (secrets)
        connections = connections_from_env(os.environ)
    except ValueError as error:
        err_console.print(str(error))
        raise typer.Exit(2) from None
    settings = Settings(
        database_url=db,
        data_dir=data_dir,
        secure_cookies=secure_cookies,
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        analysis_workers=workers,
        public_url=public_url,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_from=smtp_from,
        smtp_security=smtp_security,
        smtp_user=smtp_user,
        smtp_password=smtp_password,
        webhook_url=webhook_url,
        schedule_seconds=schedule_minutes * 60,
        source_retention_days=keep_days,
        **connections,
    )
    web_app = create_app(settings)
    if web_app.state.store.count_users() == 0:
        err_console.print("No users yet: create the first one with `journeyscope init-admin`.")
    console.print(f"Journeyscope workspace on http://{host}:{port}/ (API docs at /docs)")
    # the app decides whom to believe about X-Forwarded-For (Settings.trusted_proxies); uvicorn's
    # own rewrite would trust any local client's header before the app sees the request
    uvicorn.run(web_app, host=host, port=port, log_level="info", proxy_headers=False)


@app.command(name="init-admin")
def init_admin(
    email: str = typer.Option(..., "--email", help="The admin's email (their sign-in name)."),
    name: str = typer.Option("Admin", "--name", help="The admin's display name."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The admin's password (asked for when left out; at least 8 characters).",
    ),
    workspace: str = typer.Option("My team", "--workspace", help="Name of the first workspace."),
    language: str = typer.Option("en", "--language", help="Interface language: en, ru, he or pl."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
    data_dir: Path = typer.Option(Path("journeyscope-data"), "--data-dir", help=_DATA_HELP),
) -> None:
    """Create the first user of a workspace server (its owner), migrating the database first."""
    from ..store import Conflict, StoreError, open_store
    from ..web import Settings

    if len(password) < 8:
        err_console.print("The password needs at least 8 characters.")
        raise typer.Exit(2)
    if language not in ("en", "ru", "he", "pl"):
        err_console.print("--language must be en, ru, he or pl.")
        raise typer.Exit(2)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(Settings(database_url=db, data_dir=data_dir).resolved_database_url())
    try:
        user = store.create_user(email, name, password, language)
        space = store.create_workspace(workspace, user.id)
    except (Conflict, StoreError) as error:
        err_console.print(str(error))
        raise typer.Exit(1) from None
    finally:
        store.close()
    console.print(f"Created {user.email} as owner of workspace {space.name!r}.", highlight=False)
