"""The names the engine uses for its enumerations, as ``Literal`` types."""

from __future__ import annotations

from typing import Literal

Channel = Literal["email", "chat", "phone", "web_form", "social", "api"]
Impact = Literal["feature_request", "question", "bug", "degraded", "outage"]
Priority = Literal["low", "normal", "high", "critical"]
Status = Literal[
    "draft", "new", "in_progress", "pending_customer", "on_hold", "resolved", "closed"
]
CustomerTier = Literal["free", "standard", "premium", "enterprise", "vip"]
SupportTier = Literal["tier1", "tier2", "tier3"]
Target = Literal["first_response", "next_response", "resolution"]
EventType = Literal[
    "status_changed",
    "agent_replied",
    "customer_replied",
    "priority_overridden",
    "priority_override_cleared",
    "reassigned",
]

__all__ = [
    "Channel",
    "CustomerTier",
    "EventType",
    "Impact",
    "Priority",
    "Status",
    "SupportTier",
    "Target",
]
