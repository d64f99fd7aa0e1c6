from app.blueprints.invoices import bp
from app.permissions import requires


@bp.route("/new", methods=["GET", "POST"])
@requires("invoices.edit")
def new():
    return "todo"
