"""
Every database write of a compile: definitions, the structure row, the course-index head, pruning.

:func:`install` does them in one transaction that first locks the course
index row (``select_for_update``) and compares log ids, so:

* a compile of an older log never replaces a newer head (it stores nothing);
* compiling a log twice is a no-op (its structure row is found, not rewritten);
* a failure anywhere rolls everything back, and readers keep the old head.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from compiler import documents
from compiler.transform import BuildResult
from lc_modulestore.api import (
    PUBLISHED_BRANCH,
    CorruptDocumentError,
    LazyStructure,
    checksum,
    decode_structure,
    decode_structure_lazily,
    encode_definition,
    encode_structure,
)
from lc_modulestore.models_api import CompiledDefinition, CompiledStructure, CourseIndex, LearningCoreCourse

#: Largest structure sent to MySQL as an ``X'…'`` literal (twice its size on the wire, under the server's
#: ``max_allowed_packet``, 16 MB by default); larger ones go as an ordinary escaped parameter.
HEX_LITERAL_MAX_BYTES = 4 * 1024 * 1024


class BinaryLiteral(models.Expression):
    """
    Bytes written into an INSERT. On MySQL/MariaDB as a hex literal: mysqlclient escapes a 380 kB parameter in
    ~4 ms and the server parses the escaped form in ~8 more, where ``X'…'`` costs ~5 ms in all (a 10k-block
    structure; the hex text is digits only, so nothing in it can be taken for SQL). Elsewhere a parameter.
    """

    output_field = models.BinaryField()

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.data = data

    def as_sql(self, compiler, connection):
        return "%s", [self.data]

    def as_mysql(self, compiler, connection):
        if len(self.data) > HEX_LITERAL_MAX_BYTES:
            return self.as_sql(compiler, connection)
        return f"X'{self.data.hex()}'", []


@dataclass(frozen=True, kw_only=True)
class Installed:
    """Outcome of :func:`install`."""

    structure: CompiledStructure | None  # the row of this log (None if a newer head made it moot)
    moved: bool  # the index head now points at it (and did not before)
    stale: bool  # a newer (or the same) log was already the head
    repaired: bool = False  # the row of this log existed and was rewritten from the fresh build
    definitions_written: int = 0  # definition rows inserted or rewritten


def head_field(branch: str) -> str:
    """The CourseIndex column holding ``branch``'s head."""
    return "published_structure" if branch == PUBLISHED_BRANCH else "draft_structure"


def _log_field(branch: str) -> str:
    return "publish_log_id" if branch == PUBLISHED_BRANCH else "draft_change_log_id"


def log_id_of(structure: CompiledStructure) -> int:
    """The PublishLog / DraftChangeLog id a structure row was compiled from."""
    return getattr(structure, _log_field(structure.branch))


def ensure_index(course: LearningCoreCourse) -> None:
    """Create the course's index row if missing, in its own short transaction (never under a row lock)."""
    if CourseIndex.objects.filter(course=course).exists():
        return
    try:
        with transaction.atomic():
            CourseIndex.objects.create(
                course=course,
                objectid=str(documents.course_index_id(learning_package_uuid=course.learning_package.uuid)),
                edited_by=course.created_by,
                edited_on=course.created,
                last_update=timezone.now(),
            )
    except IntegrityError:
        pass  # a concurrent compile (the other branch) created it first


def locked_index(course: LearningCoreCourse) -> CourseIndex:
    """The course's index row, locked (``SELECT … FOR UPDATE``) until the transaction ends."""
    return CourseIndex.objects.select_for_update().get(course=course)


def head_structure(course: LearningCoreCourse, branch: str) -> CompiledStructure | None:
    """The structure row ``branch`` serves now (no lock)."""
    index = CourseIndex.objects.filter(course=course).select_related(head_field(branch)).first()
    return getattr(index, head_field(branch)) if index else None


def head_log_id(course: LearningCoreCourse, branch: str) -> int | None:
    """The log id of the structure ``branch`` serves now (no lock)."""
    head = head_structure(course, branch)
    return log_id_of(head) if head else None


def install(
    *,
    course: LearningCoreCourse,
    branch: str,
    log_id: int,
    build: BuildResult,
    full: bool,
    compile_ms: float,
    compile_queries: int,
    repair: bool = False,
) -> Installed:
    """
    Store ``build`` as the structure of log ``log_id``; move ``branch``'s head to it unless a newer head exists.

    ``repair`` rewrites what is stored for this log (the structure row, when it exists, and every definition
    the build references) from the fresh build, even when it is already the head: the way to mend a damaged row.
    """
    log_field = _log_field(branch)
    document = build.document
    ensure_index(course)
    with transaction.atomic():
        index = locked_index(course)
        head = getattr(index, head_field(branch))
        head_log = getattr(head, log_field) if head is not None else None
        objectid = str(document["_id"])
        if head_log is not None and (
            head_log > log_id or (head_log == log_id and not repair and head.objectid == objectid)
        ):
            return Installed(structure=head if head_log == log_id else None, moved=False, stale=True)
        structure = CompiledStructure.objects.filter(course=course, branch=branch, **{log_field: log_id}).first()
        written = 0
        # Another id for the same log: its asset metadata changed (ADR 0028); the row takes the new contents and id.
        replaced = structure is not None and structure.objectid != objectid
        if structure is None or repair or replaced:
            written = _store_definitions(build, rewrite=repair)
            encoded = encode_structure(document)
            values = dict(
                objectid=objectid,
                data=BinaryLiteral(encoded.data),
                checksum=encoded.checksum,
                entry_index=BinaryLiteral(encoded.entry_index) if encoded.entry_index is not None else None,
                raw_size=encoded.raw_size,
                stored_size=len(encoded.data),
                block_count=len(document["blocks"]),
                compiled_at=timezone.now(),
                compile_ms=compile_ms,
                compile_queries=compile_queries,
                full_compile=full,
                has_pins=build.has_pins,
                rebuilt_blocks=build.rebuilt,
            )
            if structure is None:
                structure = CompiledStructure.objects.create(course=course, branch=branch, **{log_field: log_id},
                                                             **values)
            else:
                CompiledStructure.objects.filter(pk=structure.pk).update(**values)
                structure.refresh_from_db()
            structure.data = encoded.data  # the instance holds the bytes, not the expression that wrote them
            structure.entry_index = encoded.entry_index
        moved = head is None or head.pk != structure.pk or head.objectid != structure.objectid
        setattr(index, head_field(branch), structure)
        index.last_update = timezone.now()
        index.save(update_fields=[head_field(branch), "last_update"])
        prune(course=course, branch=branch, head=structure)
    return Installed(structure=structure, moved=moved, stale=False, repaired=repair, definitions_written=written)


def _store_definitions(build: BuildResult, *, rewrite: bool = False) -> int:
    """
    Insert the definitions this structure needs that are not stored yet; returns how many rows were written.

    Definitions never change, so an ordinary compile only inserts. ``rewrite`` (a repair) also compares every
    stored row with the fresh encoding and rewrites those whose bytes or checksum differ: a damaged row is mended
    and an intact one left as it is (the same bytes either way).
    """
    wanted = {d.version_id: d for d in build.definitions}
    if not wanted:
        return 0
    stored = CompiledDefinition.objects.filter(field_data_id__in=wanted)
    if rewrite:
        have = {row[0]: (bytes(row[1]), row[2]) for row in stored.values_list("field_data_id", "data", "checksum")}
    else:
        have = dict.fromkeys(stored.values_list("field_data_id", flat=True))
    new, mended = [], []
    for version, d in sorted(wanted.items()):
        data = encode_definition(d.document)
        row = CompiledDefinition(
            field_data_id=version,
            objectid=str(d.definition_id),
            block_type=d.block_type,
            data=data,
            checksum=checksum(data),
        )
        if version not in have:
            new.append(row)
        elif rewrite and have[version] != (data, row.checksum):
            mended.append(row)
    CompiledDefinition.objects.bulk_create(new, batch_size=500)
    CompiledDefinition.objects.bulk_update(mended, ["objectid", "block_type", "data", "checksum"], batch_size=200)
    return len(new) + len(mended)


def prune(*, course: LearningCoreCourse, branch: str, head: CompiledStructure) -> int:
    """
    Delete ``branch``'s structures older than the newest ``LC_MODULESTORE_KEEP_OLD_STRUCTURES`` before ``head``.

    Returns how many rows were deleted.
    """
    keep_old = max(0, int(getattr(settings, "LC_MODULESTORE_KEEP_OLD_STRUCTURES", 1)))
    log_field = _log_field(branch)
    older = list(
        CompiledStructure.objects.filter(course=course, branch=branch, **{f"{log_field}__lt": getattr(head, log_field)})
        .order_by(f"-{log_field}")
        .values_list("pk", flat=True)
    )
    doomed = older[keep_old:]
    if not doomed:
        return 0
    deleted, _ = CompiledStructure.objects.filter(pk__in=doomed).delete()
    return deleted


def structure_row(course: LearningCoreCourse, branch: str, log_id: int) -> CompiledStructure | None:
    """The stored structure of ``branch`` compiled from log ``log_id``, if any."""
    return CompiledStructure.objects.filter(course=course, branch=branch, **{_log_field(branch): log_id}).first()


def decoded(structure: CompiledStructure) -> dict[str, Any]:
    """The document stored in a structure row (checksum verified)."""
    return decode_structure(structure.data, structure.checksum, what=_what(structure))


def served_head(index: CourseIndex, branch: str) -> CompiledStructure | None:
    """
    The structure ``branch`` of an index row serves, refused (CorruptDocumentError naming both) when it belongs to
    another course: an index row pointing elsewhere would serve that course's content under this key.
    """
    row = getattr(index, head_field(branch))
    if row is not None and row.course_id != index.course_id:
        raise CorruptDocumentError(
            f"Course index of {index.course.course_key} points its {branch} at structure {row.objectid} of another "
            f"course ({row.course.course_key}); recompile with lc_compile {index.course.course_key} --full"
        )
    return row


def lazily_decoded(structure: CompiledStructure) -> LazyStructure:
    """The structure stored in a row, blocks left as BSON (checksum verified): what incremental compiles patch."""
    return decode_structure_lazily(structure.data, structure.checksum, what=_what(structure),
                                   entry_index=structure.entry_index)


def _what(structure: CompiledStructure) -> str:
    """How errors name a stored structure: course key, branch, structure id."""
    return f"{structure.course.course_key} {structure.branch} {structure.objectid}"


__all__ = [
    "HEX_LITERAL_MAX_BYTES",
    "BinaryLiteral",
    "Installed",
    "decoded",
    "lazily_decoded",
    "ensure_index",
    "head_field",
    "head_log_id",
    "head_structure",
    "log_id_of",
    "served_head",
    "install",
    "locked_index",
    "prune",
    "structure_row",
]
