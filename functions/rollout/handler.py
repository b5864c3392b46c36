"""Recurring programs on a timer (EventBridge schedule): each tick books every occurrence in the horizon,
exactly once (``shared.recordings.rollout``). The programs come from the schedule's ``input`` (``{"programs": [...]}``)
or, for a bare scheduled event, from ``LIVEREC_PROGRAMS``; the programs stored over HTTP (``PUT /programs/{name}``)
are booked with them (those due within the horizon, soonest first: ``shared.recordings.agenda``), a stored one
replacing a configured one of its name. Its own function: a long tick is bound by this
function's timeout, not the HTTP routes' 29 s, and stops booking before the deadline (the rest is left to
the next tick).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.app import booking, program_store
from shared.app import programs as configured
from shared.edge.events import EventKind, kind_of, refuse
from shared.recordings import agenda
from shared.recordings.booking import Booking
from shared.recordings.catalog import revoke_deleted
from shared.recordings.programs import Program, parse_programs
from shared.recordings.rollout import TickReport, tick
from shared.support.errors import InvalidRequest, LiverecError
from shared.support.observability import count, entry, logger, metrics
from shared.support.timeutil import Deadline

# a bare EventBridge scheduled event (programs from LIVEREC_PROGRAMS) or a schedule's input {"programs": [...]}
TICKS = frozenset({EventKind.SCHEDULED, EventKind.SCHEDULE_INPUT})


def rollout(event: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
    parts = booking()
    given = parse_programs(event["programs"], "schedule input") if "programs" in event else configured()
    store = program_store()
    plan = agenda.read(parts.policy, parts.clock, store, given)  # stored programs due, soonest first
    if not given and not plan.due and store.total() == 0:
        raise InvalidRequest(
            "a timer tick needs programs: in the schedule's input, LIVEREC_PROGRAMS or PUT /programs/{name}",
            field="programs",
        )
    horizon = timedelta(seconds=parts.policy.rollout_horizon)
    report = tick(parts, plan.programs, horizon=horizon, deadline=deadline, until=plan.until)
    report.skipped += plan.unreadable  # stored programs that no longer validate: not booked, still due
    if report.owners and plan.due:  # a program deleted while this tick ran keeps nothing it booked
        names = {stored.name for stored, _ in plan.due}
        revoke_deleted(parts, report, names, set(store.get_many(names)))
    withdrawn = _withdrawn(parts, plan.programs, deadline)
    agenda.reschedule(parts.policy, store, plan, report, deadline)
    tell(report, parts.policy.api.value)
    if report.ended:
        check_coverage(parts, report.ended, deadline)
    return report.to_dict() | {"withdrawn": withdrawn}


def _withdrawn(parts: Booking, programs: list[Program], deadline: Deadline) -> list[dict[str, Any]]:
    """Bookings of occurrences the programs' calendar exceptions take away, cancelled (or kept, said why);
    the module is imported only when a program has exceptions."""
    if not any(p.has_exceptions for p in programs):
        return []
    from shared.recordings import excepting

    withdrawn = excepting.sweep(parts, programs, deadline)
    for gone in withdrawn:
        logger.warning("booking withdrawn: its program's exceptions skip or move it", extra=gone)
    return withdrawn


def check_coverage(parts: Booking, ended: list[str], deadline: Deadline) -> None:
    """Each ended occurrence's coverage, once: short ones counted (CoverageShort) and logged. A failure is
    logged, never the tick's (what it booked stands)."""
    from shared.recordings import coverage_check  # only when an occurrence ended

    try:
        shorts = coverage_check.check(parts, ended, deadline)
    except LiverecError as exc:
        logger.error(
            "coverage check failed: not checked", extra={"ended": len(ended), "error": exc.to_dict()}
        )
        return
    for short in shorts:
        count("CoverageShort", api=parts.policy.api.value)
        logger.warning("recording short: less was recorded than asked", extra=short)


def tell(report: TickReport, api: str) -> None:
    """The tick's metrics and logs: what needs an operator is a warning or an error, with its metric."""
    for revoked in report.revoked:
        logger.warning("booking cancelled: its program was deleted while the tick ran", extra=revoked)
    for _ in report.created:
        count("RolloutCreated", api=api)
    for failure in report.failed:
        count("RolloutFailed", code=str(failure["error"]["code"]))
        logger.warning("rollout occurrence failed; retried next tick", extra=failure)
    for doubt in report.unresolved:
        count("RolloutUnresolved", api=api)
        logger.error(
            "rollout occurrence unresolved: it may or may not be recording; not booked again", extra=doubt
        )
    for late in report.shortened:
        logger.warning("rollout occurrence booked late: under way, recorded from now to its end", extra=late)
    for skip in report.skipped:
        count("RolloutSkipped", api=api)
        logger.error(
            "rollout program skipped: over a limit or no longer valid; the other programs are booked",
            extra=skip,
        )
    if report.deferred or report.unread_from:
        count("RolloutDeferred", api=api)
        logger.warning(
            "rollout ran short of time or read as many programs as a tick reads; the rest is left to the next tick",
            extra={
                "deferred": report.deferred_total,
                "first": report.deferred[0] if report.deferred else None,
                "unread_from": report.unread_from,
            },
        )
    metrics.add_metric(name="RolloutOccurrences", unit="Count", value=report.occurrences)
    logger.info(
        "rollout tick",
        extra={
            "occurrences": report.occurrences,
            "booked": len(report.created),
            "already_booked": report.existing,
            "failures": len(report.failed),
            "unresolved": len(report.unresolved),
            "pending": len(report.pending),
            "deferred": report.deferred_total,
            "shortened": len(report.shortened),
        },
    )


@entry(correlation_paths.EVENT_BRIDGE)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = kind_of(event)
    if kind not in TICKS:  # anything else is refused, logged, and never books
        return refuse(event, kind, "rollout", TICKS)
    try:
        return rollout(event, Deadline.from_context(context))
    except LiverecError as exc:
        if exc.status >= 500:  # the store, Tencent or the deployment: raised, so Lambda retries and alarms
            logger.exception("rollout tick failed", extra={"error": exc.to_dict()})
            raise
        # a bad schedule must be visible, not retried forever by Lambda
        logger.error("rollout refused", extra={"error": exc.to_dict()})
        return {"error": exc.to_dict()}
