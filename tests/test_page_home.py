"""The home page: runs, shows the model graph, the three pooling levels and a link to every page."""


def test_home_shows_the_hierarchy_the_three_levels_and_every_page(app_page):
    at = app_page("pages/home.py")
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    for series in (
        "no pooling",
        "complete pooling",
        "partial pooling",
        "complete-pooling mean 7.7",
    ):
        assert f'"name":"{series}"' in spec.replace(": ", ":")
    assert at.get("graphviz_chart")
    links = [link.proto.page for link in at.get("page_link")]
    for page in ("levels_of_pooling", "free_throws", "drug_trial", "eight_schools", "your_data"):
        assert any(page in link for link in links), links
