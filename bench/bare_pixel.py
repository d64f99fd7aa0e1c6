"""The comparison point for the pixel benchmark: a bare Flask route returning the GIF."""
from flask import Flask, Response

from app.blueprints.tracking.image import NO_CACHE, PIXEL

app = Flask(__name__)


@app.route("/t/o/<token>.gif")
def pixel(token: str):
    return Response(PIXEL, mimetype="image/gif", headers=NO_CACHE)
