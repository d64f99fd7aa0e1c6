from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app import backups
from app.extensions import db

backup = AppGroup("backup", help="Make, check and restore database backups.")


@backup.command("create")
@click.argument("path", required=False, type=click.Path(dir_okay=True, path_type=Path))
def create(path: Path | None) -> None:
    """Back up the database (safe while the app runs) to PATH or BACKUP_DIR."""
    try:
        dest = path or backups.default_backup_path(backups.backup_dir())
        written, manifest = backups.create_backup(db.engine, dest)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest["row_counts"].values())
    click.echo(f"backup written to {written}")
    click.echo(f"  {manifest['database']}, schema {manifest['schema_revision']}, "
               f"{len(manifest['row_counts'])} tables, {rows} rows, "
               f"sha256 {manifest['dump_sha256'][:16]}…")


@backup.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(path: Path) -> None:
    """Restore PATH into a scratch database and compare it with its manifest."""
    try:
        verdict = backups.verify_backup(db.engine, path)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    manifest = verdict.manifest
    click.echo(f"{path}: {manifest['database']} backup of {manifest['created_at']}, "
               f"schema {manifest['schema_revision']}, app {manifest['app_version']}")
    for table, count in sorted(verdict.restored_counts.items()):
        expected = manifest["row_counts"].get(table)
        mark = "ok" if expected == count else f"expected {expected}"
        click.echo(f"  {table:<28} {count:>9}  {mark}")
    if verdict.ok:
        click.echo("VERIFIED: checksum matches and the restored copy has the manifest's "
                   "row counts.")
        return
    for problem in verdict.problems:
        click.echo(f"  problem: {problem}", err=True)
    click.echo("FAILED: this backup does not match its manifest; do not rely on it.", err=True)
    raise SystemExit(1)


@backup.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace the configured database with the contents of PATH."""
    try:
        manifest = backups.read_manifest(path)
        backups.check_restorable(db.engine, manifest)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    target = db.engine.url.render_as_string(hide_password=True)
    click.echo(f"{path}: {manifest['database']} backup of {manifest['created_at']}, "
               f"schema {manifest['schema_revision']}, "
               f"{sum(manifest['row_counts'].values())} rows")
    if not yes:
        click.confirm(f"Replace EVERYTHING in {target} with this backup? Stop the web and "
                      "worker processes first", abort=True)
    db.session.remove()
    try:
        backups.restore_backup(db.engine, path)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {path} into {target}")
    heads = backups.code_heads()
    if manifest["schema_revision"] not in heads:
        click.echo("the backup's schema is older than this code's: run `flask db upgrade`")
