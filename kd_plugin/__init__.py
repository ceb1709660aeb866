"""kd_plugin: knowledge distillation for image classification, as an MMPretrain plugin.

Importing this package registers every distiller, loss, connector, backbone, dataset
and hook into MMPretrain's registries, so configs use them with a bare ``type=``
under ``default_scope='mmpretrain'``::

    custom_imports = dict(imports=['kd_plugin'], allow_failed_imports=False)
"""
from .utils.stack import check_stack

check_stack()

from . import datasets, engine, models  # noqa: E402,F401  (registration side effects)
from .version import __version__, version_info  # noqa: E402

__all__ = ['__version__', 'version_info']
