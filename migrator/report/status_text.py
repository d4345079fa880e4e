"""`migrator status` as text."""

from __future__ import annotations

from typing import Any

SHOWN = 50  # pending intents listed; `--rejected` lists every record not loaded


def render_status(data: dict[str, Any]) -> str:
    """Batches with per-kind state counts, then the pending intents (outcome unknown)."""
    lines = [f"Ledger: {data['ledger']}"]
    target = data.get("target")
    if target:
        lines.append(f"Target: account {target['account_id']} at {target['url']}")
    if not data["batches"]:
        lines.append("No batches yet.")
    for batch in data["batches"]:
        lines.append("")
        lines.append(f"Batch {batch['name']} ({batch['status']}, started {batch['created_at']})")
        for kind, states in batch["kinds"].items():
            lines.append(f"  {kind:<26} " + ", ".join(f"{n} {state}" for state, n in sorted(states.items())))
    if data["pending"]:
        lines.append("")
        lines.append(f"Pending intents ({len(data['pending'])}): outcome unknown, reconciled on the next run:")
        lines.extend(f"  {p['batch']} {p['system']}:{p['kind']}:{p['source_id']}" for p in data["pending"][:SHOWN])
        if len(data["pending"]) > SHOWN:
            lines.append(f"  … and {len(data['pending']) - SHOWN} more (see --format json)")
    if "not_loaded" in data:
        lines.append("")
        lines.append(f"Not loaded ({len(data['not_loaded'])}):" if data["not_loaded"] else "Every record is loaded.")
        lines.extend(
            f"  {row['state']:<8} {row['record']} (batch {row['batch']}): {row['why']}" for row in data["not_loaded"]
        )
    return "\n".join(lines) + "\n"
