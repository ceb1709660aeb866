"""Import-time checks of the OpenMMLab stack, with messages that say what to install."""
import importlib.util
import warnings

MMCV_HINT = (
    'kd_plugin needs mmcv (2.0 <= version < 2.4) and found none. For '
    'classification the pure-Python build is enough:\n'
    '    pip install mmcv-lite==2.2.0\n'
    'Keep a full mmcv build instead if you already have one; never install both.')


def check_stack() -> None:
    """Fail early with an actionable message when the stack cannot work.

    * mmcv is required by mmpretrain but is not declared by it, and cannot be declared
      by us either (a user's own full mmcv build must not be replaced by mmcv-lite).
    * setuptools >= 82 removed ``pkg_resources``, which mmengine 0.10 and mim use to
      resolve ``mmpretrain::`` configs; everything else still works, so this only warns.
    """
    if importlib.util.find_spec('mmcv') is None:
        raise ImportError(MMCV_HINT)
    if importlib.util.find_spec('pkg_resources') is None:
        warnings.warn(
            'pkg_resources is missing (setuptools >= 82 removed it): `mmpretrain::` '
            'configs and `mim` will fail. Fix: pip install "setuptools<82"',
            stacklevel=2)
