"""
Every database read of a compile: Learning Core history → the plain dataclasses of :mod:`compiler.transform`.

Reads are in bulk, a fixed number of queries per compile, never one per
container (learning-core.md §2.6):

* full published snapshot as of PublishLog N: the package's logs, all its
  records up to N (folded in Python into current versions and histories), the
  usage-key map, the live versions with field data, their containers and
  entity-list rows, the draft logs that created them, the assets;
* incremental: the same kinds of reads restricted to the entities publish N
  touched, plus the entities that became reachable (one round per level of a
  newly attached subtree);
* draft snapshot: ``Draft`` rows instead of records.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Max, OuterRef, Subquery
from openedx_content.models_api import (
    ContainerVersion,
    Draft,
    DraftChangeLog,
    DraftChangeLogRecord,
    EntityListRow,
    PublishableEntityVersion,
    PublishLog,
    PublishLogRecord,
)

from compiler import documents
from compiler.errors import CompileError, LogNotFoundError, NoRootYetError
from compiler.transform import EntityHistory, Header, Key, Snapshot, VersionData, history_from_records
from lc_modulestore.api import DETACHED_BLOCK_TYPES, DRAFT_BRANCH, PUBLISHED_BRANCH, extended_json_loads
from lc_modulestore.models_api import CourseAsset, CourseBlock, LearningCoreCourse

ROOT_KEY: Key = ("course", "course")


@dataclass(frozen=True)
class PublishTarget:
    """A PublishLog and the course it belongs to."""

    course: LearningCoreCourse
    log: PublishLog


def publish_target(log_id: int) -> PublishTarget:
    """The course of PublishLog ``log_id`` (LogNotFoundError if none)."""
    log = PublishLog.objects.filter(pk=log_id).first()
    if log is None:
        raise LogNotFoundError(f"PublishLog {log_id} does not exist")
    course = LearningCoreCourse.objects.filter(learning_package_id=log.learning_package_id).first()
    if course is None:
        raise LogNotFoundError(f"PublishLog {log_id} belongs to no Learning Core course")
    return PublishTarget(course=course, log=log)


def _root_key(course: LearningCoreCourse) -> Key:
    if course.root_id is None:
        raise NoRootYetError(f"Course {course.course_key} has no root container yet")
    row = CourseBlock.objects.filter(entity_id=course.root_id).values_list("block_type", "block_id").first()
    if row is None:
        raise CompileError(f"The root of {course.course_key} is not in its usage-key map")
    return (row[0], row[1])


def _publish_logs(course: LearningCoreCourse, up_to: int) -> list[dict[str, Any]]:
    return list(
        PublishLog.objects.filter(learning_package_id=course.learning_package_id, pk__lte=up_to)
        .order_by("pk")
        .values("pk", "uuid", "published_at", "published_by_id")
    )


def _header(branch: str, logs: list[dict[str, Any]], *, at_key: str, by_key: str) -> Header:
    log = logs[-1]
    return Header(
        branch=branch,
        log_id=log["pk"],
        log_uuid=log["uuid"],
        previous_log_uuid=logs[-2]["uuid"] if len(logs) > 1 else None,
        original_log_uuid=logs[0]["uuid"],
        edited_on=log[at_key],
        edited_by=log[by_key] if log[by_key] is not None else -1,
    )


def _assets(course: LearningCoreCourse) -> dict[str, list[dict[str, Any]]]:
    assets: dict[str, list[dict[str, Any]]] = {}
    rows = CourseAsset.objects.filter(course=course).values(
        "asset_type", "path", "content_type", "locked", "metadata", "edited_on", "edited_by", "media__hash_digest"
    )
    for row in rows:
        assets.setdefault(row["asset_type"], []).append(
            documents.asset_storable(
                asset_type=row["asset_type"],
                filename=row["path"],
                internal_name=row["media__hash_digest"],
                locked=row["locked"],
                contenttype=row["content_type"],
                metadata=row["metadata"] or {},
                edited_on=row["edited_on"],
                edited_by=row["edited_by"],
            )
        )
    return assets


def structure_id_now(course: LearningCoreCourse, *, branch: str, log_id: int) -> str | None:
    """
    The id a compile of ``branch`` to log ``log_id`` would give its structure now (None: no such log).

    Two queries (the log's uuid, the assets). Asset metadata changes without a log (ADR 0028), so a head
    compiled from the newest log is current only when its id is this one.
    """
    model = PublishLog if branch == PUBLISHED_BRANCH else DraftChangeLog
    log_uuid = model.objects.filter(pk=log_id).values_list("uuid", flat=True).first()
    if log_uuid is None:
        return None
    return str(documents.structure_id(branch=branch, log_uuid=log_uuid, assets=_assets(course)))


def _keys(course: LearningCoreCourse, entity_ids: Iterable[int] | None = None) -> tuple[dict[int, Key], set[int]]:
    """The usage-key map (all of it, or for ``entity_ids``) and the detached entities among it."""
    rows = CourseBlock.objects.filter(course=course)
    if entity_ids is not None:
        rows = rows.filter(entity_id__in=list(entity_ids))
    keys: dict[int, Key] = {}
    detached: set[int] = set()
    columns = ("entity_id", "block_type", "block_id", "detached")
    for entity, block_type, block_id, is_detached in rows.values_list(*columns):
        keys[entity] = (block_type, block_id)
        if is_detached:
            detached.add(entity)
    return keys, detached


def load_versions(version_ids: Iterable[int], *, draft: bool) -> dict[int, VersionData]:
    """
    Data of these entity versions, plus pinned child versions (their closure), in a few bulk queries.

    ``draft`` also loads, per version, the draft log that created the version it replaced.
    """
    wanted = {v for v in version_ids if v is not None}
    out: dict[int, VersionData] = {}
    while wanted:
        out.update(_load_version_batch(wanted, draft=draft))
        pinned = {p for data in out.values() for _, p in (data.rows or ()) if p is not None}
        wanted = pinned - set(out)
    return out


def _load_version_batch(ids: set[int], *, draft: bool) -> dict[int, VersionData]:
    pevs = PublishableEntityVersion.objects.filter(pk__in=ids).values(
        "pk",
        "entity_id",
        "entity__uuid",
        "version_num",
        "created",
        "created_by_id",
        "block_field_data__block_type",
        "block_field_data__settings",
        "block_field_data__content",
    )
    lists = dict(ContainerVersion.objects.filter(pk__in=ids).values_list("pk", "entity_list_id"))
    rows: dict[int, list[tuple[int, int | None]]] = {list_id: [] for list_id in lists.values()}
    for list_id, entity, pinned in (
        EntityListRow.objects.filter(entity_list_id__in=set(lists.values()))
        .order_by("entity_list_id", "order_num")
        .values_list("entity_list_id", "entity_id", "entity_version_id")
    ):
        rows[list_id].append((entity, pinned))
    created_in, replaced = _creating_draft_logs(ids)
    previous_created_in: dict[int, UUID] = {}
    if draft:
        olds = {old for old in replaced.values() if old is not None}
        old_created_in, _ = _creating_draft_logs(olds)
        previous_created_in = {
            v: old_created_in[old] for v, old in replaced.items() if old is not None and old in old_created_in
        }
    out = {}
    for p in pevs:
        version = p["pk"]
        has_fields = p["block_field_data__block_type"] is not None
        out[version] = VersionData(
            version_id=version,
            entity_id=p["entity_id"],
            entity_uuid=p["entity__uuid"],
            version_num=p["version_num"],
            created=p["created"],
            created_by=p["created_by_id"] if p["created_by_id"] is not None else -1,
            block_type=p["block_field_data__block_type"] or "",
            settings=_json(p["block_field_data__settings"]) if has_fields else {},
            content=_json(p["block_field_data__content"]) if has_fields else {},
            has_field_data=has_fields,
            rows=tuple(rows[lists[version]]) if version in lists else None,
            created_in=created_in.get(version),
            previous_created_in=previous_created_in.get(version),
        )
    return out


def _json(value: Any) -> Any:
    """Related JSONField values come back decoded with the field's decoder; strings (some backends) are parsed."""
    if isinstance(value, str):
        return extended_json_loads(value)
    return value if value is not None else {}


def _creating_draft_logs(version_ids: set[int]) -> tuple[dict[int, UUID], dict[int, int | None]]:
    """
    For each version: the uuid of the DraftChangeLog that first set a draft to it, and the version it replaced.
    """
    created_in: dict[int, UUID] = {}
    replaced: dict[int, int | None] = {}
    if not version_ids:
        return created_in, replaced
    for new, old, log_uuid in (
        DraftChangeLogRecord.objects.filter(new_version_id__in=version_ids)
        .order_by("draft_change_log_id", "pk")
        .values_list("new_version_id", "old_version_id", "draft_change_log__uuid")
    ):
        if old != new and new not in created_in:
            created_in[new] = log_uuid
            replaced[new] = old
    return created_in, replaced


# -- published branch ---------------------------------------------------------------------------


def _whole_course_snapshot(
    course: LearningCoreCourse,
    *,
    header: Header,
    current: dict[int, int | None],
    history: dict[int, EntityHistory],
    draft: bool,
) -> Snapshot:
    """A snapshot of every block of the course, given each entity's current version on the branch."""
    keys, detached = _keys(course)
    return Snapshot(
        course_key=str(course.course_key),
        header=header,
        root=_root_key(course),
        keys=keys,
        current=current,
        versions=load_versions((v for v in current.values() if v is not None), draft=draft),
        history=history,
        detached=frozenset(keys[e] for e in detached if current.get(e) is not None),
        assets=_assets(course),
    )


def full_published_snapshot(course: LearningCoreCourse, log_id: int) -> Snapshot:
    """The whole published state of ``course`` as of PublishLog ``log_id``."""
    logs = _publish_logs(course, log_id)
    if not logs or logs[-1]["pk"] != log_id:
        raise LogNotFoundError(f"PublishLog {log_id} is not a publish of {course.course_key}")
    log_uuids = {log["pk"]: log["uuid"] for log in logs}
    records = list(
        PublishLogRecord.objects.filter(
            publish_log__learning_package_id=course.learning_package_id, publish_log_id__lte=log_id
        )
        .order_by("publish_log_id", "pk")
        .values_list("entity_id", "publish_log_id", "old_version_id", "new_version_id")
    )
    current, history = history_from_records(records, log_uuids)
    return _whole_course_snapshot(
        course,
        header=_header(PUBLISHED_BRANCH, logs, at_key="published_at", by_key="published_by_id"),
        current=current,
        history=history,
        draft=False,
    )


def incremental_published_snapshot(
    course: LearningCoreCourse, log_id: int, *, previous_blocks: Iterable[Key]
) -> Snapshot:
    """
    What publish ``log_id`` changed, relative to the structure of the publish before it.

    ``previous_blocks`` are the block keys of that structure. The snapshot holds
    the entities with a record in this publish, and those that became reachable
    (children of changed containers that the previous structure did not have,
    and their subtrees).
    """
    logs = _publish_logs(course, log_id)
    if not logs or logs[-1]["pk"] != log_id:
        raise LogNotFoundError(f"PublishLog {log_id} is not a publish of {course.course_key}")
    log_uuids = {log["pk"]: log["uuid"] for log in logs}
    changed = dict(PublishLogRecord.objects.filter(publish_log_id=log_id).values_list("entity_id", "new_version_id"))

    def history_of(fresh: set[int]) -> dict[int, EntityHistory]:
        records = list(
            PublishLogRecord.objects.filter(entity_id__in=fresh, publish_log_id__lte=log_id)
            .order_by("publish_log_id", "pk")
            .values_list("entity_id", "publish_log_id", "old_version_id", "new_version_id")
        )
        return history_from_records(records, log_uuids)[1]

    return _incremental_snapshot(
        course,
        header=_header(PUBLISHED_BRANCH, logs, at_key="published_at", by_key="published_by_id"),
        changed=changed,
        previous_keys=set(previous_blocks),
        versions_as_of=lambda entities: _published_versions_as_of(entities, log_id),
        history_of=history_of,
        draft=False,
    )


def incremental_draft_snapshot(
    course: LearningCoreCourse, since_log_id: int, *, previous_blocks: Iterable[Key]
) -> Snapshot:
    """
    The current drafts of ``course`` relative to the draft structure compiled from DraftChangeLog ``since_log_id``.

    Fresh: every entity with a record in a later draft log (draft compiles are
    debounced, so several logs may have landed since), plus newly reachable ones.
    """
    lp = course.learning_package_id
    logs = _draft_logs(course)
    log_uuids = {log["pk"]: log["uuid"] for log in logs}
    entities = set(
        DraftChangeLogRecord.objects.filter(
            draft_change_log__learning_package_id=lp,
            draft_change_log_id__gt=since_log_id,
            draft_change_log_id__lte=logs[-1]["pk"],
        ).values_list("entity_id", flat=True)
    )

    def drafts_of(entity_ids: set[int]) -> dict[int, int | None]:
        current: dict[int, int | None] = {e: None for e in entity_ids}
        current.update(Draft.objects.filter(entity_id__in=entity_ids).values_list("entity_id", "version_id"))
        return current

    def history_of(fresh: set[int]) -> dict[int, EntityHistory]:
        return {e: EntityHistory(None, None, log_uuids.get(last)) for e, last in _last_draft_logs(lp, fresh).items()}

    return _incremental_snapshot(
        course,
        header=_header(DRAFT_BRANCH, logs, at_key="changed_at", by_key="changed_by_id"),
        changed=drafts_of(entities),
        previous_keys=set(previous_blocks),
        versions_as_of=drafts_of,
        history_of=history_of,
        draft=True,
    )


def _incremental_snapshot(
    course: LearningCoreCourse,
    *,
    header: Header,
    changed: dict[int, int | None],
    previous_keys: set[Key],
    versions_as_of: Callable[[set[int]], dict[int, int | None]],
    history_of: Callable[[set[int]], dict[int, EntityHistory]],
    draft: bool,
) -> Snapshot:
    """
    A snapshot of the ``changed`` entities (entity → version on the branch now) and of the entities that
    became reachable through them; the transform copies every other block from the previous structure.
    """
    keys, detached = _keys(course, changed)
    current: dict[int, int | None] = dict(changed)
    versions = load_versions(changed.values(), draft=draft)
    fresh = set(changed)
    frontier = _unknown_children(versions.values(), keys, fresh)
    while frontier:
        new_keys, new_detached = _keys(course, frontier)
        keys.update(new_keys)
        detached |= new_detached
        # Children the previous structure already had are copied from it; the rest are newly reachable.
        reachable = {e for e in frontier if new_keys.get(e) not in previous_keys}
        as_of = versions_as_of(reachable) if reachable else {}
        current.update(as_of)
        fresh |= reachable
        new_versions = load_versions((v for v in as_of.values() if v is not None), draft=draft)
        versions.update(new_versions)
        frontier = _unknown_children(new_versions.values(), keys, fresh)
    return Snapshot(
        course_key=str(course.course_key),
        header=header,
        root=_root_key(course),
        keys=keys,
        current=current,
        versions=versions,
        history=history_of(fresh),
        # Deleted fresh ones among these are dropped by the transform.
        detached=frozenset(
            {k for k in previous_keys if k[0] in DETACHED_BLOCK_TYPES} | {keys[e] for e in detached if e in fresh}
        ),
        assets=_assets(course),
        fresh=frozenset(fresh),
    )


def _unknown_children(versions: Iterable[VersionData], keys: dict[int, Key], known: set[int]) -> set[int]:
    """Child entities of these container versions whose key or state is not loaded yet."""
    return {child for data in versions for child, _ in (data.rows or ()) if child not in known and child not in keys}


def _published_versions_as_of(entity_ids: set[int], log_id: int) -> dict[int, int | None]:
    """Each entity's published version as of ``log_id`` (two queries: latest log per entity, then its record)."""
    if not entity_ids:
        return {}
    latest = dict(
        PublishLogRecord.objects.filter(entity_id__in=entity_ids, publish_log_id__lte=log_id)
        .values("entity_id")
        .annotate(last=Max("publish_log_id"))
        .values_list("entity_id", "last")
    )
    out: dict[int, int | None] = {e: None for e in entity_ids}
    for entity, log, version in PublishLogRecord.objects.filter(
        entity_id__in=latest, publish_log_id__in=set(latest.values())
    ).values_list("entity_id", "publish_log_id", "new_version_id"):
        if latest[entity] == log:
            out[entity] = version
    return out


# -- draft branch -------------------------------------------------------------------------------


def latest_draft_log(course: LearningCoreCourse) -> DraftChangeLog | None:
    """The newest DraftChangeLog of the course's learning package."""
    return DraftChangeLog.objects.filter(learning_package_id=course.learning_package_id).order_by("-pk").first()


def draft_snapshot(course: LearningCoreCourse) -> Snapshot:
    """The current drafts of ``course``, tied to its latest DraftChangeLog."""
    lp = course.learning_package_id
    logs = _draft_logs(course)
    log_uuids = {log["pk"]: log["uuid"] for log in logs}
    current = dict(Draft.objects.filter(entity__learning_package_id=lp).values_list("entity_id", "version_id"))
    history = {e: EntityHistory(None, None, log_uuids.get(last)) for e, last in _last_draft_logs(lp).items()}
    return _whole_course_snapshot(
        course,
        header=_header(DRAFT_BRANCH, logs, at_key="changed_at", by_key="changed_by_id"),
        current=current,
        history=history,
        draft=True,
    )


def _draft_logs(course: LearningCoreCourse) -> list[dict[str, Any]]:
    logs = list(
        DraftChangeLog.objects.filter(learning_package_id=course.learning_package_id)
        .order_by("pk")
        .values("pk", "uuid", "changed_at", "changed_by_id")
    )
    if not logs:
        raise CompileError(f"Course {course.course_key} has no draft changes")
    return logs


def _last_draft_logs(learning_package_id: int, entity_ids: set[int] | None = None) -> dict[int, int]:
    """entity → id of the last DraftChangeLog with a record for it (side effects included)."""
    records = DraftChangeLogRecord.objects.filter(draft_change_log__learning_package_id=learning_package_id)
    if entity_ids is not None:
        records = records.filter(entity_id__in=entity_ids)
    return dict(records.values("entity_id").annotate(last=Max("draft_change_log_id")).values_list("entity_id", "last"))


def predecessor_publish_log_id(course: LearningCoreCourse, log_id: int) -> int | None:
    """The course's publish just before ``log_id`` (ids are global, so not simply ``log_id - 1``)."""
    return (
        PublishLog.objects.filter(learning_package_id=course.learning_package_id, pk__lt=log_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def latest_publish_log_id(course: LearningCoreCourse) -> int | None:
    """The course's newest PublishLog id."""
    return (
        PublishLog.objects.filter(learning_package_id=course.learning_package_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


# -- what lags ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LaggingHead:
    """A branch of a course whose served head is older than its newest log (or that serves nothing yet)."""

    course_key: str
    branch: str
    head_log_id: int | None
    latest_log_id: int


def lagging_heads() -> list[LaggingHead]:
    """
    Every course branch whose head lags its newest PublishLog / DraftChangeLog, in one query.

    Why: a compile that was never enqueued (broker down), failed for good, or was lost to a locked database
    leaves the course serving an older publish and nothing else would notice. Cheap enough to run every few
    minutes (``lc_modulestore.compile_stale``).
    """
    def newest(model) -> Subquery:
        return Subquery(
            model.objects.filter(learning_package_id=OuterRef("learning_package_id")).order_by("-pk").values("pk")[:1]
        )

    rows = (
        LearningCoreCourse.objects.annotate(latest_publish=newest(PublishLog), latest_draft=newest(DraftChangeLog))
        .order_by("course_key")
        .values_list(
            "course_key",
            "latest_publish",
            "index__published_structure__publish_log_id",
            "latest_draft",
            "index__draft_structure__draft_change_log_id",
        )
    )
    lagging = []
    for course_key, latest_publish, published_head, latest_draft, draft_head in rows:
        for branch, latest, head in (
            (PUBLISHED_BRANCH, latest_publish, published_head),
            (DRAFT_BRANCH, latest_draft, draft_head),
        ):
            if latest is not None and (head is None or head < latest):
                lagging.append(
                    LaggingHead(course_key=str(course_key), branch=branch, head_log_id=head, latest_log_id=latest)
                )
    return lagging
