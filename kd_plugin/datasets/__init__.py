from .contrastive import ContrastiveEpochHook, ContrastiveIndexDataset
from .digits import DigitsDataset
from .synthetic import SyntheticClsDataset
from .tiny_imagenet import TinyImageNet
from .transforms import RecordedRandomCrop, RecordedRandomFlip

__all__ = [
    'ContrastiveEpochHook', 'ContrastiveIndexDataset', 'DigitsDataset',
    'SyntheticClsDataset', 'TinyImageNet', 'RecordedRandomCrop', 'RecordedRandomFlip'
]
