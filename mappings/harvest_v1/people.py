"""Harvest v1 people (`<users>`) -> v2 `users`.

Roles: v1 `is-admin` -> `administrator`, else `is-project-manager` -> `manager`, else `member`.
Department: v2 has no department, but its `roles` are free descriptive labels ("Designer",
"Sales"), which is what a v1 department was; so the department becomes the user's one role label
and a note per kind says so. Telephone has no writable v2 field and is reported per user.
"""

from __future__ import annotations

from typing import Any

from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.sources.harvest_v1.records import User

USED = {
    "email",
    "first_name",
    "last_name",
    "timezone",
    "is_active",
    "is_contractor",
    "has_access_to_all_future_projects",
    "default_hourly_rate",
    "cost_rate",
    "is_admin",
    "is_project_manager",
    "department",
}
_PREFERENCE = "a v1 user-interface preference; Harvest v2 has no such setting"
ONCE = {
    name: _PREFERENCE
    for name in (
        "duplicate_timesheet_wants_notes",
        "email_after_submit",
        "first_timer",
        "password_change_required",
        "preferred_approval_screen",
        "preferred_entry_method",
        "preferred_project_status_reports_screen",
        "wants_newsletter",
        "wants_timesheet_duplication",
        "wants_weekly_digest",
        "weekly_digest_sent_on",
        "timesheet_duplicated_at",
    )
}
WHY = {
    "telephone": "v2 users have no writable telephone field",
    "weekly_capacity": "v1 weekly capacity has no documented unit; v2 keeps its default",
    "default_task_id": "v2 users have no default task",
    "default_time_project_id": "v2 users have no default project",
    "default_expense_project_id": "v2 users have no default expense project",
    "default_expense_category_id": "v2 users have no default expense category",
    "identity_url": "v1 sign-in identity; v2 logins are separate (Harvest ID)",
    "identity_account_id": "v1 sign-in identity; v2 logins are separate (Harvest ID)",
    "identity_user_id": "v1 sign-in identity; v2 logins are separate (Harvest ID)",
    "opensocial_identifier": "v1 sign-in identity; v2 logins are separate (Harvest ID)",
    "avatar_url": "avatars are uploaded by each user in v2",
}


def access_roles(user: User) -> list[str] | None:
    """v2 access roles from the v1 flags (None when v1 says nothing: v2's default applies)."""
    if user.is_admin:
        return ["administrator"]
    if user.is_project_manager:
        return ["manager"]
    if user.is_admin is None and user.is_project_manager is None:
        return None
    return ["member"]


def map_users(m: V1Mapping) -> None:
    """Plan one v2 user per v1 person. Creating a user emails an invitation: the loader gates that."""
    notes = m.notes("users")
    for user in m.records("users", "users", User):
        if user.department:
            notes.once(
                "department",
                "v1 departments become the user's v2 role label (`roles`), descriptive only",
                severity="data",
            )
        data: dict[str, Any] = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "timezone": user.timezone,
            "has_access_to_all_future_projects": user.has_access_to_all_future_projects,
            "is_contractor": user.is_contractor,
            "is_active": user.is_active,
            "default_hourly_rate": user.default_hourly_rate,
            "cost_rate": user.cost_rate,
            "roles": [user.department] if user.department else None,
            "access_roles": access_roles(user),
        }
        notes.dropped(user, used=USED, once=ONCE, why=WHY)
        m.sink.emit("users", user.id, data, user.origin)
