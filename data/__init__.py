"""The shipped input tables, installed as the package ``sim.data`` (see pyproject.toml)."""
