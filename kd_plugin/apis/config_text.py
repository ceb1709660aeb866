"""A config whose text MMEngine's runner renders once per run (``tools/demo.py``,
``tools/benchmark_results.py``)."""
import copy
from functools import cached_property

from mmengine.config import Config


class RenderedOnceConfig(Config):
    """:class:`~mmengine.config.Config` whose ``pretty_text`` is rendered once.

    The runner renders its config's text (yapf over the whole dict) when it logs it,
    dumps it, hands it to the message hub and the visualizer, and again into every
    checkpoint's ``meta``: seven renderings for a one-epoch run, each the same text and
    together the largest cost of a short run. Here the text is rendered at the first
    request and reused, so the config must not change afterwards: :meth:`freeze` it once
    every override is in.
    """

    @cached_property
    def pretty_text(self) -> str:
        return super().pretty_text

    @classmethod
    def freeze(cls, cfg: Config) -> 'RenderedOnceConfig':
        """A copy of ``cfg`` (its dict and file name) that renders its text once."""
        return cls(copy.deepcopy(cfg.to_dict()), filename=cfg.filename)
