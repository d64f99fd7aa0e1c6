"""Fragments: a page's block renders alone, also when the page inherits it from a layout."""
from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader

from app.web.render import render_block

LAYOUT = ("{% block page %}<h1>Reports</h1><div id='region'>{% block region %}"
          "[tabs {{ tab }}]{% block filters %}{% endblock %}"
          "<div id='results'>{% block results %}{% endblock %}</div>"
          "{% endblock %}</div>{% endblock %}")
PAGE = ('{% extends "layout.html" %}{% block filters %}[filter]{% endblock %}'
        "{% block results %}[rows {{ n }}]{% endblock %}")


@pytest.fixture
def env(app):
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader(
        {"layout.html": LAYOUT, "page.html": PAGE}), loader])
    app.jinja_env.cache.clear()
    with app.test_request_context():
        yield app.jinja_env
    app.jinja_env.loader = loader
    app.jinja_env.cache.clear()


def test_a_block_the_page_defines(env):
    assert render_block("page.html", "results", n=3) == "[rows 3]"


def test_a_block_inherited_from_the_layout_takes_the_pages_blocks(env):
    assert render_block("page.html", "region", tab="a", n=3) == (
        "[tabs a][filter]<div id='results'>[rows 3]</div>")


def test_a_fragment_is_the_same_as_that_part_of_the_full_page(env):
    page = env.get_template("page.html").render(tab="a", n=3)
    assert render_block("page.html", "region", tab="a", n=3) in page


def test_a_missing_block_is_an_error(env):
    with pytest.raises(LookupError):
        render_block("page.html", "nowhere")
