"""Every blueprint, in the order they are registered."""
from app.blueprints.admin import bp as admin
from app.blueprints.attention import bp as attention
from app.blueprints.auth import bp as auth
from app.blueprints.capture import bp as capture
from app.blueprints.client import bp as client
from app.blueprints.customers import bp as customers
from app.blueprints.documents import bp as documents
from app.blueprints.fields import bp as fields
from app.blueprints.followups import bp as followups
from app.blueprints.invoices import bp as invoices
from app.blueprints.main import bp as main
from app.blueprints.reminders import bp as reminders
from app.blueprints.reports import bp as reports
from app.blueprints.settings import bp as settings
from app.blueprints.tracking import bp as tracking
from app.blueprints.webhooks import bp as webhooks

BLUEPRINTS = [auth, main, attention, customers, documents, capture, followups, invoices, client,
              reminders, reports, admin, settings, fields, tracking, webhooks]
