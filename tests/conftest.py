import json
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))


def bake_ok(cookies, **answers):
    """Render with pytest-cookies and return the project folder, failing on any error."""
    result = cookies.bake(extra_context=answers, template=str(TEMPLATE))
    assert result.exception is None, f"{answers}: {result.exception!r}"
    assert result.exit_code == 0
    return Path(result.project_path)


@pytest.fixture(scope="session")
def default_project(cookies_session):
    return bake_ok(cookies_session)
