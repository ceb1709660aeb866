from .classification_distiller import ClassificationDistiller
from .data_preprocessor import MultiViewClsDataPreprocessor
from .taps import ModelTaps

__all__ = ['ClassificationDistiller', 'ModelTaps', 'MultiViewClsDataPreprocessor']
