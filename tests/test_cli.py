from __future__ import annotations

from app.models import AuditLog, User


def test_users_create_list_and_set_password(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Ann@Example.com", "--role", "billing",
                                 "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    user = db.session.scalars(db.select(User)).one()
    assert user.email == "ann@example.com" and user.role == "billing"
    assert user.check_password("long enough pw")
    assert "long enough pw" not in str([e.details for e in db.session.scalars(db.select(AuditLog))])

    listed = runner.invoke(args=["users", "list"])
    assert "ann@example.com" in listed.output and "billing" in listed.output

    old_token = user.session_token
    changed = runner.invoke(args=["users", "set-password", "ann@example.com",
                                  "--password", "another long pw"])
    assert changed.exit_code == 0, changed.output
    db.session.refresh(user)
    assert user.check_password("another long pw") and user.session_token != old_token


def test_users_create_prompts_for_password(app, db):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "p@example.com", "--role", "staff"],
        input="prompted password\nprompted password\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(db.select(User)).one().check_password("prompted password")


def test_users_create_without_a_role_makes_the_least_powerful_one(app, db):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "least@example.com", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(db.select(User)).one().role == "viewer"


def test_users_create_rejects_short_password_and_duplicates(app):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "a@example.com", "--role", "staff",
                                "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output
    runner.invoke(args=["users", "create", "a@example.com", "--role", "staff",
                        "--password", "long enough pw"])
    again = runner.invoke(args=["users", "create", "a@example.com", "--role", "staff",
                                "--password", "long enough pw"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_demo_seed_creates_logins_and_refuses_production(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert {u.role for u in db.session.scalars(db.select(User))} == {
        "admin", "billing", "staff", "viewer"}
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "leaving it alone" in again.output
    app.config["ENV_NAME"] = "production"
    refused = runner.invoke(args=["demo", "seed"])
    assert refused.exit_code != 0 and "production" in refused.output
