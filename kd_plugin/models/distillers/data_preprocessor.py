from typing import List

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS

from kd_plugin.utils.vocabulary import register_view

register_view(
    'strong', '(B, C) logits of the second (strongly augmented) view of the same images; '
    'the pipeline must give two views (MultiView transform and '
    'MultiViewClsDataPreprocessor)',
    source='data',
    index=1,
    provider=__name__)


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` for pipelines that give every image several views.

    With MMPretrain's ``MultiView`` transform (e.g. a weak and a strong augmentation of
    each image, as MLKD trains), each view is normalised like a single-view batch and
    the views are concatenated view-major into one ``(V * B, C, H, W)`` tensor. The
    distiller splits it again: view 0 is the main batch, view 1 gives the
    ``logits_*_strong`` inputs of the loss vocabulary (registered here). Single-view
    batches pass through unchanged.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not self._is_multi_view(inputs):
            return super().forward(data, training)
        if training and self.batch_augments is not None:
            raise ValueError(
                'Batch augments (Mixup/CutMix) with several views would mix each view '
                'differently and overwrite the labels; remove `batch_augments` or the '
                'MultiView transform.')
        views: List[torch.Tensor] = []
        for view in inputs:
            processed = super().forward(
                dict(inputs=list(view), data_samples=data.get('data_samples')), training)
            views.append(processed['inputs'])
        return dict(inputs=torch.cat(views), data_samples=processed['data_samples'])

    @staticmethod
    def _is_multi_view(inputs) -> bool:
        """pseudo_collate gives V sequences of B tensors for MultiView pipelines."""
        return (isinstance(inputs, (list, tuple)) and len(inputs) > 0
                and isinstance(inputs[0], (list, tuple)))
