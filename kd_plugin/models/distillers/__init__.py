from .classification_distiller import ClassificationDistiller
from .data_preprocessor import MultiViewClsDataPreprocessor
from .taps import ModelTaps
from .teacher_sources import CachedTeacher, OnlineTeacher

__all__ = [
    'CachedTeacher', 'ClassificationDistiller', 'ModelTaps',
    'MultiViewClsDataPreprocessor', 'OnlineTeacher'
]
