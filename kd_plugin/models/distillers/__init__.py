from .cached_teacher import CachedTeacherDistiller
from .classification_distiller import ClassificationDistiller
from .data_preprocessor import MultiViewClsDataPreprocessor
from .taps import ModelTaps

__all__ = ['CachedTeacherDistiller', 'ClassificationDistiller', 'ModelTaps',
           'MultiViewClsDataPreprocessor']
