"""Schemathesis against the app's own OpenAPI schema, through the ASGI app: no input makes it
answer 5xx.

Every operation of the schema gets a bounded number of generated requests (`FUZZ_EXAMPLES`,
valid and invalid ones), sent as the admin (admin routes) or the demo rep (the rest), each
twice: as generated, and with its path ids swapped for real ones, so the fuzzed bodies reach the
code behind the lookups too (admin routes act on a user made for the purpose). Hypothesis
drives the schemathesis strategies directly (its pytest plugin does not run on this pytest).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from agent.services.users import add_user
from tests.security.conftest import World, bearer
from tests.security.test_authz_walk import fills

FUZZ_EXAMPLES = int(os.environ.get("ENGAGE_FUZZ_EXAMPLES", "40"))


def fuzz(world: World, operation: Any, real: dict[str, str], sent: Counter[str]) -> None:
    token = world.admin_token if "/admin/" in operation.path else world.victim_token
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        sent[operation.label] += 1
        case.call_and_validate(headers=bearer(token), checks=[not_a_server_error])
        if case.path_parameters:
            case.path_parameters = {
                name: real.get(name, value) for name, value in case.path_parameters.items()
            }
            case.call_and_validate(headers=bearer(token), checks=[not_a_server_error])

    run()


def test_no_generated_request_makes_a_server_error(world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    sent: Counter[str] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    with world.rt.db.session() as session:
        target, _ = add_user(
            session, email="target@engage-demo.com", role="rep", name="", now=world.rt.clock.now()
        )
    real = {**fills(world), "user_id": target.id}
    for operation in operations:
        try:
            fuzz(world, operation, real, sent)
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    print(
        f"\nschemathesis: {sum(sent.values())} generated requests over {len(operations)} "
        f"operations (at most {FUZZ_EXAMPLES} each), {len(failures)} with a server error"
    )
    assert not failures, "\n\n".join(failures)
    assert len(sent) == len(operations) >= 30
