from {{ cookiecutter.__package }} import __version__

SERVICE_NAME = "{{ cookiecutter.__name_str }}"{{ cookiecutter.__name_noqa }}


def test_home_names_the_service_and_version(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.json == {"service": SERVICE_NAME, "version": __version__}
