from .classification_distiller import ClassificationDistiller
from .data_preprocessor import MultiViewClsDataPreprocessor
from .taps import ModelTaps
from .teacher_sources import CachedTeacher, OnlineTeacher
from .views_as_samples import ViewsAsSamplesDataPreprocessor

__all__ = [
    'CachedTeacher', 'ClassificationDistiller', 'ModelTaps',
    'MultiViewClsDataPreprocessor', 'OnlineTeacher', 'ViewsAsSamplesDataPreprocessor'
]
