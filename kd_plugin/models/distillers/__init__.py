from .classification_distiller import ClassificationDistiller
from .taps import ModelTaps

__all__ = ['ClassificationDistiller', 'ModelTaps']
