from app.blueprints.customers import bp
from app.permissions import requires
from app.web import no_store, render


@bp.route("/")
@requires("customers.view")
def index():
    return no_store(render("customers/index.html"))
