"""Every real and documented Harvest v1 body in ../shared parses, or is refused for a stated reason.

One parameter per file. A file found on disk without an expectation here fails, so a new sample
is never silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrator.errors import SourceError, SourceParseError
from migrator.sources.export import looks_like_xml, read_exports
from migrator.sources.harvest_v1.reader import HarvestV1Reader
from migrator.sources.record import type_record
from migrator.sources.xmlsafe import sniff_root
from tests.conftest import SHARED, external_samples

EXTERNAL = SHARED / "fixtures-external" / "harvest-v1"
NOT_XML = {"not_xml": True}
NO_ID = "the record has no id"


def _records(**counts: int) -> dict[str, Any]:
    return {"records": counts}


# relative path -> what the v1 reader must do with it
EXPECTED: dict[str, dict[str, Any]] = {
    "docs-examples/accounts__01_get_user-and-account-information-for-current-user.xml": _records(account=1),
    "docs-examples/client-contacts__01_get_get-all-contacts-for-an-account.xml": _records(contacts=1),
    "docs-examples/client-contacts__02_get_get-all-contacts-for-a-client.xml": _records(contacts=1),
    "docs-examples/client-contacts__03_get_get-a-client-contact.xml": _records(contacts=1),
    "docs-examples/clients__01_get_get-all-clients.xml": _records(clients=1),
    "docs-examples/clients__02_get_get-a-client.xml": _records(clients=1),
    # The docs omit <id> in these three examples: skipped with a warning, never guessed.
    "docs-examples/expense-categories__01_get_show-all-expense-categories.xml": {"records": {}, "warnings": [NO_ID]},
    "docs-examples/expense-categories__04_get_show-expense-category.xml": {"records": {}, "warnings": [NO_ID]},
    "docs-examples/expense-tracking__07_get_show-expense.xml": {"records": {}, "warnings": [NO_ID]},
    "docs-examples/invoice-categories__01_get_show-all-invoice-item-categories.xml": _records(
        invoice_item_categories=2
    ),
    "docs-examples/invoice-messages__01_get_show-all-messages-sent-for-an-invoice.xml": _records(invoice_messages=1),
    "docs-examples/invoice-messages__02_get_show-a-particular-message.xml": _records(invoice_messages=1),
    "docs-examples/invoice-payments__01_get_show-all-recorded-payments-for-an-invoice.xml": _records(payments=1),
    "docs-examples/invoice-payments__02_get_show-a-particular-payment.xml": _records(payments=1),
    "docs-examples/invoices__01_get_show-recently-created-invoices.xml": _records(invoices=1),
    "docs-examples/invoices__02_get_show-a-particular-invoice.xml": _records(invoices=1),
    "docs-examples/people__01_get_show-a-user_amp-escaped.xml": _records(users=1),
    "docs-examples/people__02_get_show-all-users_amp-escaped.xml": _records(users=1),
    "docs-examples/projects__01_get_show-a-project.xml": _records(projects=1),
    "docs-examples/projects__02_get_show-all-projects.xml": _records(projects=1),
    "docs-examples/task-assignment__01_get_get-all-tasks-assigned-to-a-given-project.xml": _records(task_assignments=1),
    "docs-examples/task-assignment__02_get_get-one-task-assignment.xml": _records(task_assignments=1),
    "docs-examples/tasks__01_get_show-one-task.xml": _records(tasks=1),
    "docs-examples/tasks__02_get_show-all-tasks.xml": _records(tasks=1),
    "docs-examples/time-and-expense-reporting__01_get_get-all-time-entries-logged-to-a-project"
    "-for-a-given-timeframe.xml": (_records(day_entries=1)),
    "docs-examples/time-and-expense-reporting__02_get_get-all-time-entries-logged-by-a-user"
    "-for-a-given-timeframe.xml": (_records(day_entries=1)),
    "docs-examples/time-and-expense-reporting__03_get_get-all-expense-entries-logged-by-a-user"
    "-for-a-given-timeframe.xml": (_records(expenses=1)),
    "docs-examples/time-and-expense-reporting__04_get_get-all-expense-entries-logged-to-a-project"
    "-for-a-given-timeframe.xml": (_records(expenses=1)),
    "docs-examples/time-tracking__01_get_retrieving-entries-and-projects-tasks-for-a-day.xml": _records(day_entries=1),
    "docs-examples/time-tracking__02_get_retrieving-a-single-entry.xml": _records(day_entries=1),
    "docs-examples/time-tracking__03_get_toggling-a-timer.xml": {
        "records": {"day_entries": 1},
        "warnings": ["ignored <hours_for_previously_running_timer>: not a record of day_entries"],
    },
    "docs-examples/user-assignment__01_get_get-all-users-assigned-to-a-given-project.xml": _records(user_assignments=1),
    "docs-examples/user-assignment__02_get_get-a-user-assignment.xml": _records(user_assignments=1),
    "fundinggates-2012/account_who_am_i.xml": _records(account=1),
    "fundinggates-2012/client_1268554_contacts_empty_nil-classes.xml": _records(),
    "fundinggates-2012/client_1268610.xml": _records(clients=1),
    "fundinggates-2012/client_1268614_contacts.xml": _records(contacts=1),
    "fundinggates-2012/clients.xml": _records(clients=116),
    "fundinggates-2012/clients_updated_since_2012-10-01.xml": _records(clients=9),
    "fundinggates-2012/contacts.xml": _records(contacts=10),
    "fundinggates-2012/error_401_invalid_token.json": NOT_XML,
    "fundinggates-2012/error_404_invoices_abc123.html": {
        "claimed": False,
        "refused": "an HTML page (a saved error page such as Harvest's 404), not a Harvest v1 API response",
    },
    "fundinggates-2012/invoice_1882548_with_csv-line-items.xml": _records(invoices=1),
    "fundinggates-2012/invoice_1990900_payment_1625417.xml": _records(payments=1),
    "fundinggates-2012/invoice_1990900_payments.xml": _records(payments=1),
    "fundinggates-2012/invoices.xml": _records(invoices=36),
    "fundinggates-2012/invoices_updated_since_2012-10-01.xml": _records(invoices=26),
    "fundinggates-2012/people.xml": _records(users=1),
    "harvested-2009-2010/account_rate_limit_status_over_limit.xml": {
        "records": {},
        "warnings": ["skipped: a rate-limit status <hash> body holds no records to migrate"],
    },
    "harvested-2009-2010/account_rate_limit_status_under_limit.xml": {
        "records": {},
        "warnings": ["skipped: a rate-limit status <hash> body holds no records to migrate"],
    },
    "harvested-2009-2010/clients_2009.xml": _records(clients=1),
    "harvested-2009-2010/clients_docstyle_handmade.xml": _records(clients=1),
    "harvested-2009-2010/clients_empty_nil-classes.xml": _records(),
    "harvested-2009-2010/people_entries_2010_day-entries.xml": _records(day_entries=2),
    "harvested-2009-2010/people_handmade.xml": _records(users=1),
    "harvested-2009-2010/person_5001_handmade.xml": _records(users=1),
    # `<request>` is FreshBooks' root: not claimed; read only under --from harvest-v1, and then skipped.
    "harvestr-2009/account_rate_limit_status.xml": {
        "claimed": False,
        "records": {},
        "warnings": ["skipped: a rate-limit status <request> body holds no records to migrate"],
    },
    "harvestr-2009/daily.xml": _records(day_entries=2),
    "harvestr-2009/daily_add_response_root-add.xml": _records(day_entries=1),
    "harvestr-2009/daily_timer_toggle_response.xml": _records(day_entries=1),
    "harvestr-2009/daily_update_response_root-add.xml": _records(day_entries=1),
    "harvestr-2009/project_entries_day-entries.xml": _records(day_entries=4),
}


def _params() -> list[Any]:
    found = (
        {str(p.relative_to(EXTERNAL)) for p in EXTERNAL.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
        if EXTERNAL.is_dir()
        else set()
    )
    return [pytest.param(name, id=name) for name in sorted(found | set(EXPECTED))]


@pytest.mark.parametrize("name", _params())
def test_each_real_sample_parses_or_is_refused_for_a_stated_reason(name: str) -> None:
    external_samples("harvest-v1")
    path = EXTERNAL / name
    if name not in EXPECTED:
        if path.suffix == ".json":
            expected: dict[str, Any] = NOT_XML  # v1 JSON bodies: skipped as not XML, like any .json
        else:
            pytest.fail(f"{name}: a new sample without an expectation; add it to EXPECTED")
    else:
        expected = EXPECTED[name]
    if expected.get("not_xml"):
        assert not looks_like_xml(path), "read_exports skips it with 'skipped: not an XML file'"
        return
    reader = HarvestV1Reader()
    assert reader.claims(sniff_root(path) or "") is expected.get("claimed", True)
    if "refused" in expected:
        with pytest.raises(SourceParseError) as caught:
            reader.read(path, lambda record: None, lambda warning: None)
        assert expected["refused"] in str(caught.value)
        assert str(caught.value).startswith(f"{path}:")
        return
    records, warnings = [], []
    reader.read(path, records.append, warnings.append)
    counts: dict[str, int] = {}
    for record in records:
        counts[record.resource] = counts.get(record.resource, 0) + 1
        type_record(reader.models[record.resource], record, reader.system)  # every real value coerces
    assert counts == expected["records"]
    messages = [warning.message for warning in warnings]
    assert len(messages) == len(expected.get("warnings", []))
    for message, wanted in zip(messages, expected.get("warnings", []), strict=True):
        assert wanted in message


def test_the_whole_sample_folder_reads_with_keep_going_and_names_each_refusal() -> None:
    external_samples("harvest-v1")
    (export,) = read_exports([EXTERNAL], keep_going=True)
    try:
        refused = sorted(Path(str(error.file)).name for error in export.errors)
        # Routed by root: the HTML page is not a Harvest v1 body. The 2009 rate-limit `<request>` body
        # (no method= attribute, so not a FreshBooks request) is read as v1 and skipped with a warning.
        assert refused == ["error_404_invoices_abc123.html"]
        assert any(Path(w.file).name == "account_rate_limit_status.xml" for w in export.warnings)
        assert all(isinstance(error, SourceError) and error.line for error in export.errors)
        skipped = sorted(Path(w.file).name for w in export.warnings if w.message == "skipped: not an XML file")
        assert len(skipped) == sum(1 for p in EXTERNAL.rglob("*.json")) + 1  # and SOURCES.md
        # fundinggates: 36 listed (the updated_since page and the detail body overlap them) + 2 doc examples.
        assert export.store.count("invoices") == 38
    finally:
        export.close()
