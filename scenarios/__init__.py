"""The shipped scenarios, installed as the package ``sim.scenarios`` (see pyproject.toml)."""
