"""Every view of a multi-view pipeline as a sample of its own batch (SSKD's rotations)."""
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS

from kd_plugin.utils.vocabulary import batch_metainfo, register_batch_input

register_batch_input(
    'view_idx', '(B,) int64 which view of its image each sample is (0: the image '
    'itself), for batches whose views are samples, image by image '
    '(ViewsAsSamplesDataPreprocessor, e.g. SSKD\'s four rotations)',
    lambda inputs, samples: batch_metainfo(
        samples, 'view_idx', inputs.device,
        "use data_preprocessor=dict(type='ViewsAsSamplesDataPreprocessor') with a "
        'MultiView training pipeline'),
    provider=__name__)


@MODELS.register_module()
class ViewsAsSamplesDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that turns the ``V`` views of each image (MMPretrain's
    ``MultiView`` transform) into ``V`` samples of one batch.

    The ``B`` images give a ``(B * V, C, H, W)`` batch ordered image by image,
    ``[x_0^0, x_0^1, ..., x_0^{V-1}, x_1^0, ...]``, each view normalised like a
    single-view batch; every data sample is repeated ``V`` times (its label with it)
    and carries ``view_idx`` (``v``), registered here as a batch input. The models then
    run once on all views together, so BatchNorm sees them in one batch: this is how
    SSKD (Xu et al., ECCV 2020; ``xuguodong03/SSKD@661b972:student.py``) trains,
    ``x.view(-1, c, h, w)`` of its four rotations of each image.

    Unlike :class:`MultiViewClsDataPreprocessor` (view-major, the distiller splits the
    views again), the distiller sees one ordinary batch; a loss reads ``view_idx`` to
    tell the views apart. Single-view batches (validation) pass through unchanged.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not (isinstance(inputs, (list, tuple)) and inputs
                and isinstance(inputs[0], (list, tuple))):
            return super().forward(data, training)
        if training and self.batch_augments is not None:
            raise ValueError(
                'Batch augments (Mixup/CutMix) would mix the views of different images '
                'and overwrite their labels; remove `batch_augments` or the MultiView '
                'transform.')
        num_views, num_images = len(inputs), len(inputs[0])
        images = [inputs[v][b] for b in range(num_images) for v in range(num_views)]
        samples = data.get('data_samples')
        if samples is not None:
            repeated = []
            for sample in samples:
                for view in range(num_views):
                    copy = sample.clone()
                    copy.set_metainfo(dict(view_idx=view))
                    repeated.append(copy)
            samples = repeated
        return super().forward(dict(inputs=images, data_samples=samples), training)
