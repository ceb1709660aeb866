from .replayable import (VIEW_META_KEYS, RecordedRandomCrop, RecordedRandomFlip,
                         decode_view, encode_view)

__all__ = ['VIEW_META_KEYS', 'RecordedRandomCrop', 'RecordedRandomFlip', 'decode_view',
           'encode_view']
