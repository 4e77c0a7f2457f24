"""Secrets and Standard Webhooks headers, through the ``standardwebhooks`` library.

The secret is 32 random bytes in the ``whsec_<base64>`` form. ``webhook-id`` names the change
(``chg_<seq>``): the same on every retry and replay of it, so receivers can deduplicate.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (the form of a secret, not one)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def message_id(seq: int) -> str:
    return f"chg_{seq}"


def headers(secret: str, seq: int, body: str, moment: datetime) -> dict[str, str]:
    msg_id = message_id(seq)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, moment, body),
        "user-agent": "contract-lifecycle-webhooks/1",
    }
