import importlib
import sys

from {{ cookiecutter.__package }} import __version__, create_app
from {{ cookiecutter.__package }}.app import project_instance_folder
from {{ cookiecutter.__package }}.views import MODULES


def test_importing_the_package_creates_no_app():
    for name in [m for m in sys.modules if m.split(".")[0] == "{{ cookiecutter.__package }}"]:
        del sys.modules[name]
    package = importlib.import_module("{{ cookiecutter.__package }}")
    assert not any(type(value).__name__ == "Flask" for value in vars(package).values())
    assert package.__version__ == __version__


def test_two_apps_are_independent():
    first = create_app({"TESTING": True, "SERVICE_NAME": "first"})
    second = create_app({"TESTING": True, "SERVICE_NAME": "second"})
    assert first is not second
    assert first.config is not second.config
    assert first.test_client().get("/").json["service"] == "first"
    assert second.test_client().get("/").json["service"] == "second"


def test_each_module_named_in_views_is_registered_under_its_name(app):
    assert list(app.blueprints) == list(MODULES)


def test_there_are_no_static_files(app):
    assert "static" not in app.view_functions


def test_from_the_source_tree_the_instance_folder_is_the_projects(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    assert project_instance_folder(tmp_path / "src" / "pkg") == str(tmp_path / "instance")


def test_installed_the_instance_folder_is_flasks_choice(tmp_path):
    assert project_instance_folder(tmp_path / "site-packages" / "pkg") is None
    assert project_instance_folder(tmp_path / "src" / "pkg") is None  # no project around it
