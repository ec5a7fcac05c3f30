"""Comparing two stores' blocks: the stored form counts, not how each class represents a value in memory."""
from __future__ import annotations

from collections import namedtuple

from xblock.core import XBlock
from xblock.field_data import DictFieldData
from xblock.fields import UNIQUE_ID, Field, List, Scope, ScopeIds, String
from xblock.runtime import MemoryIdManager, Runtime

from shim.compare import compare_blocks

Partition = namedtuple("Partition", "id name")


class PartitionList(List):
    """Like edx-platform's UserPartitionList: objects in memory, dicts when stored."""

    def from_json(self, values):
        return [Partition(**value) for value in values]

    def to_json(self, values):
        return [value._asdict() for value in values]


class PlainBlock(XBlock):
    user_partitions = List(scope=Scope.settings, default=[])
    display_name = Field(scope=Scope.settings, default="x")


class PartitionBlock(XBlock):
    user_partitions = PartitionList(scope=Scope.settings, default=[])
    display_name = Field(scope=Scope.settings, default="x")


class _Runtime(Runtime):
    def handler_url(self, *args, **kwargs):  # pragma: no cover
        raise NotImplementedError

    def resource_url(self, *args):  # pragma: no cover
        raise NotImplementedError

    def local_resource_url(self, *args):  # pragma: no cover
        raise NotImplementedError

    def publish(self, *args):  # pragma: no cover
        pass


def _block(cls, values):
    ids = MemoryIdManager()
    runtime = _Runtime(ids, ids, services={"field-data": DictFieldData(values)})
    block = runtime.construct_xblock_from_class(cls, ScopeIds(None, "course", "d", "u"))
    block.location = "block-v1:O+C+R+type@course+block@course"  # what the stores' blocks carry (ModulestoreBlockMixin)
    block.category = "course"
    return block


def test_the_same_stored_value_in_two_representations_is_no_difference():
    stored = [{"id": 1, "name": "Content Group A"}]
    plain = _block(PlainBlock, {"user_partitions": stored})
    objects = _block(PartitionBlock, {"user_partitions": stored})  # read back as Partition objects
    assert isinstance(objects.user_partitions[0], Partition) and isinstance(plain.user_partitions[0], dict)
    assert compare_blocks(objects, plain) == []
    changed = _block(PlainBlock, {"user_partitions": [{"id": 2, "name": "Content Group A"}]})
    assert [d.field for d in compare_blocks(objects, changed)] == ["user_partitions"]


class DiscussionLike(XBlock):
    discussion_id = String(scope=Scope.settings, default=UNIQUE_ID)


def test_an_unset_unique_id_default_is_not_compared_a_set_one_is():
    """Its default hashes the usage key as the caller spelled it (split's own answers carry branch and version)."""
    versioned = _block(DiscussionLike, {})
    stripped = _block(DiscussionLike, {})
    stripped.scope_ids = stripped.scope_ids._replace(usage_id="another spelling of the same key")
    assert versioned.discussion_id != stripped.discussion_id
    assert compare_blocks(versioned, stripped) == []
    assert [d.field for d in compare_blocks(_block(DiscussionLike, {"discussion_id": "a"}),
                                            _block(DiscussionLike, {"discussion_id": "b"}))] == ["discussion_id"]
