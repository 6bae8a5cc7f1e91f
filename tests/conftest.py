"""Fixtures: an isolated Engage home per test, on SQLite and (marked) on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from agent.db.tables import Base
from agent.runtime import Runtime, build_runtime
from agent.settings import Settings
from tests.support import FrozenClock, scratch_postgres


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One scratch database for the run, created and dropped here."""
    with scratch_postgres() as url:
        yield url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store under test: a SQLite file, or the scratch PostgreSQL database emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'engage.sqlite3'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    from agent.db.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(ENGAGE_HOME=tmp_path / "home", DATABASE_URL=database_url, ENGAGE_ENGINE="rules")


@pytest.fixture
def runtime(settings: Settings, clock: FrozenClock) -> Iterator[Runtime]:
    rt = build_runtime(settings, clock=clock)
    yield rt
    rt.close()
