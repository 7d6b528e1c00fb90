from {{ cookiecutter.__package }} import __version__


def test_home_names_the_service_and_version(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.json == {"service": "{{ cookiecutter.__name_str }}", "version": __version__}
