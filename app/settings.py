"""Settings, read once from the environment when the app is created."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field("sqlite:///./contracts.db", description="SQLAlchemy URL; the driver is chosen here.")
    rules_dir: Path = Field(Path("rules"), description="Folder holding the YAML rule tables.")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL", description="NORMAL survives a process crash; FULL also survives power loss, at a cost."
    )
    max_batch_events: int = Field(10_000, ge=1, description="Most events accepted by one POST /events.")
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="Largest request body accepted.")
    group_commit_max: int = Field(512, ge=1, description="Most queued writes committed in one transaction.")
    api_keys: str = Field("", description="Comma-separated 'key:scope' pairs, scope read or write.")
    log_level: str = "INFO"
    access_log: bool = Field(True, description="Write one buffered JSON access line per request to stderr.")
