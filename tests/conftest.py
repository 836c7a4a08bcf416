pytest_plugins = ["tests.fakegithub.fixture"]
