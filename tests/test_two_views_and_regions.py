"""Two-view inputs (MLKD) and region logits (SDD) computed by the distiller."""
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS
from test_distiller import classifier

WEAK = [dict(type='RandomCrop', crop_size=16, padding=2)]
STRONG = WEAK + [dict(type='Cutout', shape=6, pad_val=(125, 123, 114))]


def two_view_batch(size: int = 4) -> dict:
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(
        dict(
            type='SyntheticClsDataset',
            num_samples=size,
            num_classes=5,
            image_size=16,
            pipeline=[
                dict(type='MultiView', num_views=[1, 1], transforms=[WEAK, STRONG]),
                dict(type='PackInputs')
            ]))
    return pseudo_collate([dataset[i] for i in range(size)])


def test_two_view_batch_gives_strong_logits_of_both_models():
    model = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=classifier(4),
            teacher=classifier(8),
            data_preprocessor=dict(
                type='MultiViewClsDataPreprocessor',
                num_classes=5,
                mean=[127.5] * 3,
                std=[64.0] * 3),
            distill_losses=dict(
                loss_mlkd=dict(type='MLKDLoss', temperature=4.0, loss_weight=0.9),
                loss_cls_strong=dict(type='StrongViewCELoss', loss_weight=0.1)),
            student_loss_weight=0.1))
    data = model.data_preprocessor(two_view_batch(), training=True)
    assert data['inputs'].shape == (8, 3, 16, 16)
    weak, strong = data['inputs'].chunk(2)
    assert not torch.equal(weak, strong)

    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_mlkd', 'loss_cls_strong'}
    model.eval()  # same BN behaviour for the reference computation below
    with torch.no_grad():
        expected = MODELS.build(dict(type='StrongViewCELoss', loss_weight=0.1))(
            logits_s_strong=model.student(strong),
            target=torch.cat([s.gt_label for s in data['data_samples']]))
        eval_losses = model.loss(data['inputs'], data['data_samples'])
    torch.testing.assert_close(eval_losses['loss_cls_strong'], expected)


def test_strong_inputs_without_two_views_is_an_actionable_error():
    model = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=classifier(4),
            teacher=classifier(8),
            distill_losses=dict(loss_mlkd=dict(type='MLKDLoss'))))
    inputs = torch.randn(4, 3, 16, 16)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(0) for _ in range(4)]
    try:
        model(inputs, samples, mode='loss')
    except ValueError as error:
        assert 'MultiView' in str(error) and 'logits_s_strong' in str(error)
    else:
        raise AssertionError('a single-view batch must be refused for MLKD')


def test_sdd_regions_come_from_each_models_own_classifier():
    model = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=classifier(4),
            teacher=classifier(8),
            distill_losses=dict(
                loss_sdd=dict(
                    type='SDDLoss', levels=(1, 2), temperature=4.0, loss_weight=0.9))))
    torch.manual_seed(0)
    inputs = torch.randn(4, 3, 32, 32)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    loss = model(inputs, samples, mode='loss')['loss_sdd']

    from kd_plugin.models.dis_losses import spp_region_logits
    with torch.no_grad():
        regions = [
            spp_region_logits(
                m.extract_feat(inputs, stage='backbone')[-1], m.head.fc.weight,
                m.head.fc.bias, (1, 2)) for m in (model.student, model.teacher)
        ]
        # 32 px input -> 4 x 4 final map: region 0 is the model's own logits.
        torch.testing.assert_close(regions[0][:, :, 0], model.student(inputs))
        expected = MODELS.build(dict(type='SDDKDLoss', temperature=4.0, loss_weight=0.9))(
            region_logits_s=regions[0],
            region_logits_t=regions[1],
            target=torch.arange(4))
    torch.testing.assert_close(loss.detach(), expected)
    loss.backward()
    assert model.student.head.fc.weight.grad is not None
    assert model.teacher.head.fc.weight.grad is None


def test_default_feature_map_is_what_each_zoo_classifier_pools():
    from pathlib import Path

    from mmengine.config import Config
    root = Path(__file__).parent.parent / 'configs' / '_base_' / 'models' / 'cifar'
    for arch in ('resnet8x4', 'ShuffleV1', 'ShuffleV2', 'MobileNetV2', 'vgg8',
                 'wrn_16_2'):
        model = MODELS.build(
            dict(
                type='ClassificationDistiller',
                student=Config.fromfile(root / f'{arch}.py').model,
                distill_losses=dict(loss_probe=dict(type='FeatureMapProbe')))).eval()
        inputs = torch.randn(2, 3, 32, 32)
        from mmpretrain.structures import DataSample
        model.loss(inputs, [DataSample().set_gt_label(0) for _ in range(2)])
        feature_map = model.distill_losses['loss_probe'].feature_map[-1]
        pooled = feature_map.mean(dim=(2, 3))
        torch.testing.assert_close(
            model.student.head.fc(pooled), model.student(inputs), msg=arch)


@MODELS.register_module(force=True)
class FeatureMapProbe(torch.nn.Module):

    def forward(self, feature_map_s, logits_s):
        self.feature_map = feature_map_s
        return logits_s.sum() * 0


@MODELS.register_module(force=True)
class FirstHalfBatch(torch.nn.Module):
    """Test double for an aux_batch module: the first half of the images, flipped."""

    def forward(self, inputs, logits_t):
        self.saw_teacher_logits = logits_t.shape
        return inputs[:inputs.shape[0] // 2].flip(-1)


@MODELS.register_module(force=True)
class AuxKDLoss(torch.nn.Module):

    def forward(self, logits_s_aux, logits_t_aux):
        self.shapes = (logits_s_aux.shape, logits_t_aux.shape)
        return (logits_s_aux - logits_t_aux).square().mean()


def test_aux_batch_runs_both_models_on_the_built_batch():
    model = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=classifier(4),
            teacher=classifier(8),
            aux_batch=dict(type='FirstHalfBatch'),
            distill_losses=dict(loss_aux=dict(type='AuxKDLoss'))))
    model.eval()
    torch.manual_seed(0)
    inputs = torch.randn(4, 3, 16, 16)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(0) for _ in range(4)]
    loss = model.loss(inputs, samples)['loss_aux']
    assert model.aux_batch.saw_teacher_logits == (4, 5)
    aux = inputs[:2].flip(-1)
    with torch.no_grad():
        expected = (model.student(aux) - model.teacher(aux)).square().mean()
    torch.testing.assert_close(loss.detach(), expected)
    try:
        MODELS.build(
            dict(
                type='ClassificationDistiller',
                student=classifier(4),
                teacher=classifier(8),
                distill_losses=dict(loss_aux=dict(type='AuxKDLoss'))))
    except ValueError as error:
        assert 'aux_batch' in str(error)
    else:
        raise AssertionError('logits_*_aux without an aux_batch module must be refused')
