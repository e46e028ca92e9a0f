from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def baseline():
    from sim.run.simulate import simulate_scenario

    return simulate_scenario("baseline")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
