from .mlkd_randaugment import MLKDRandAugment  # noqa: F401
from .replayable import (
    BOX_META_KEYS,
    VIEW_META_KEYS,
    RecordedRandomCrop,
    RecordedRandomFlip,
    RecordedRandomResizedCrop,
    compose_view,
    decode_view,
    encode_view,
    random_resized_box,
    split_view,
)
from .rotation import Rot90  # noqa: F401

__all__ = [
    'BOX_META_KEYS', 'VIEW_META_KEYS', 'RecordedRandomCrop', 'RecordedRandomFlip',
    'RecordedRandomResizedCrop', 'compose_view', 'decode_view', 'encode_view',
    'random_resized_box', 'split_view'
]
