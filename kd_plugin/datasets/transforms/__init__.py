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

__all__ = [
    'BOX_META_KEYS', 'VIEW_META_KEYS', 'RecordedRandomCrop', 'RecordedRandomFlip',
    'RecordedRandomResizedCrop', 'compose_view', 'decode_view', 'encode_view',
    'random_resized_box', 'split_view'
]
