from flask.cli import routes_command


def test_flask_routes_lists_every_endpoint(runner):
    result = runner.invoke(routes_command)
    assert result.exit_code == 0, result.output
    for endpoint, rule in [("home.index", "/"), ("health.healthz", "/healthz"),
                           ("health.readyz", "/readyz")]:
        line = next(line for line in result.output.splitlines() if line.startswith(endpoint))
        assert line.split()[-1] == rule
