"""Settings, read once from the environment when the app is created."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field("sqlite:///./contracts.db", description="SQLAlchemy URL; the driver is chosen here.")
    rules_dir: Path = Field(Path("rules"), description="Folder holding the YAML rule tables.")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL", description="NORMAL survives a process crash; FULL also survives power loss, at a cost."
    )
    max_batch_events: int = Field(10_000, ge=1, description="Most events accepted by one POST /events.")
    max_future_skew: timedelta = Field(
        timedelta(minutes=5),
        ge=timedelta(0),
        description="How far past the time of receipt a created_at may lie; ISO 8601 duration or seconds.",
    )
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="Largest request body accepted.")
    rules_poll_seconds: float = Field(
        5.0, ge=0, description="How often each worker looks for newly published rule versions (0: never)."
    )
    group_commit_max: int = Field(512, ge=1, description="Most queued writes committed in one transaction.")
    api_keys: str = Field("", description="Comma-separated 'key:scope' pairs, scope read or write.")
    log_level: str = "INFO"
    access_log: bool = Field(True, description="Write one buffered JSON access line per request to stderr.")

    @field_validator("max_future_skew", mode="before")
    @classmethod
    def _seconds_as_text(cls, value: object) -> object:
        """An environment variable is text; plain digits mean seconds, as an operator would expect."""
        if isinstance(value, str) and value.strip().isdigit():
            return timedelta(seconds=int(value.strip()))
        return value
