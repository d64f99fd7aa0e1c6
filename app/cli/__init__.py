"""Flask CLI command groups, registered by `create_app`."""
from app.cli.backup import backup
from app.cli.demo import demo
from app.cli.devserver import devserver
from app.cli.feedback import bounces, events
from app.cli.keys import keys
from app.cli.users import users
from app.cli.worker import worker

COMMANDS = [users, demo, worker, devserver, events, bounces, backup, keys]
