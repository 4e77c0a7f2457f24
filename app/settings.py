"""Settings, read once from the environment when the app is created."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.domain.replay import MAX_REJUDGE
from app.webhooks.schedule import parse_schedule


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
    max_rejudge: int = Field(
        MAX_REJUDGE,
        ge=0,
        description=(
            "Most stored events of one component a POST /event or /events may judge again when placing a late "
            "event (409 rejudge_limit_exceeded beyond it); 0: no limit."
        ),
    )
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="Largest request body accepted.")
    rules_poll_seconds: float = Field(
        5.0, ge=0, description="How often each worker looks for newly published rule versions (0: never)."
    )
    group_commit_max: int = Field(512, ge=1, description="Most queued writes committed in one transaction.")
    event_writer: Literal["process", "thread"] = Field(
        "process",
        description="Where each worker judges and commits events: a process of its own, on another core "
        "(process), or a thread of the worker (thread: for running the app in-process, as tests do).",
    )
    api_keys: str = Field("", description="Comma-separated 'key:scope' pairs, scope read or write.")
    feed_retention: timedelta = Field(
        timedelta(days=7), gt=timedelta(0), description="How long change-feed records and delivery attempts are kept."
    )
    feed_poll_interval: float = Field(
        0.2, gt=0, description="Seconds between each worker's reads of the feed head, to learn other workers' commits."
    )
    feed_outbox: bool = Field(True, description="Write the change feed. false only to measure what the outbox costs.")
    webhook_timeout: float = Field(10.0, gt=0, description="Seconds a webhook attempt may take in all.")
    webhook_retry_schedule: str = Field(
        "5,30,120,600,1800,3600", description="Seconds before each retry of a failed delivery; the last repeats."
    )
    webhook_max_retry_age: timedelta = Field(
        timedelta(hours=24),
        gt=timedelta(0),
        description="How long a change may fail before its subscription is failing.",
    )
    webhook_lease: float = Field(30.0, gt=0, description="Seconds a dispatcher holds a subscription per round.")
    webhook_allow_private_networks: bool = Field(
        False, description="Allow webhook URLs on loopback, private and link-local addresses."
    )
    log_level: str = "INFO"
    access_log: bool = Field(True, description="Write one buffered JSON access line per request to stderr.")

    @property
    def rejudge_limit(self) -> int | None:
        """``max_rejudge`` as the services take it: ``None`` for no limit."""
        return self.max_rejudge or None

    @field_validator("max_future_skew", "feed_retention", "webhook_max_retry_age", mode="before")
    @classmethod
    def _seconds_as_text(cls, value: object) -> object:
        """An environment variable is text; plain digits mean seconds, as an operator would expect."""
        if isinstance(value, str) and value.strip().isdigit():
            return timedelta(seconds=int(value.strip()))
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value
