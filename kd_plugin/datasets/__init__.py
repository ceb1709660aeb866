from .digits import DigitsDataset
from .synthetic import SyntheticClsDataset
from .tiny_imagenet import TinyImageNet

__all__ = ['DigitsDataset', 'SyntheticClsDataset', 'TinyImageNet']
