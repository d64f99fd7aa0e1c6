from app.blueprints.invoices import bp
from app.permissions import requires
from app.web import no_store, render


@bp.route("/")
@requires("invoices.view")
def index():
    return no_store(render("invoices/index.html"))
