from .digits import DigitsDataset
from .synthetic import SyntheticClsDataset

__all__ = ['DigitsDataset', 'SyntheticClsDataset']
