"""configs/nkd/nkd-sdd_*: SDD's NKD baseline (shicaiwei123/SDD-CVPR2024
``SDD_nkd.py``, the ``M == '[1]'`` branch, ``nkd_loss_origin``) written as a one-region
``SDDLoss`` equals, on the models' own logits, the all-ones-mask NKD term times SDD's
warm-up ``min(epoch / 20, 1)`` on 1-based epochs."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from kd_plugin.apis.smoke import smoke_config

CONFIGS = Path(__file__).resolve().parent.parent / 'configs' / 'nkd'


def sdd_baseline_nkd(logits_s, logits_t, labels, temperature, gamma):
    """Target part at T 1 plus gamma T^2 times the cross-entropy of the full (label
    class included) softmax(z / T) distributions, batch means."""
    index = labels[:, None]
    target_part = -(F.softmax(logits_t, 1).gather(1, index) *
                    F.log_softmax(logits_s, 1).gather(1, index)).mean()
    all_classes = -(F.softmax(logits_t / temperature, 1) *
                    F.log_softmax(logits_s / temperature, 1)).sum(1).mean()
    return target_part + gamma * temperature**2 * all_classes


@pytest.mark.parametrize('pair, gamma', [('resnet32x4_shufflev1', 8.0),
                                         ('vgg13_mobilenetv2', 6.0)])
def test_nkd_sdd_config_is_sdd_baseline(pair, gamma):
    cfg = smoke_config(
        Config.fromfile(str(CONFIGS / f'nkd-sdd_{pair}_1xb64_cifar100.py')))
    region_loss = cfg.model.distill_losses.loss_nkd.region_loss
    assert (region_loss.temperature, region_loss.gamma) == (4.0, gamma)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).double().train()
    images = torch.randn(4, 3, 32, 32, dtype=torch.float64)
    labels = torch.tensor([3, 7, 11, 99])
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    with torch.no_grad():
        logits_s = model.student(images, mode='tensor')
        logits_t = model.teacher(images, mode='tensor')
    expected = sdd_baseline_nkd(logits_s, logits_t, labels, 4.0, gamma)
    hub = MessageHub.get_current_instance()
    for epoch, warmup in ((0, 1 / 20), (9, 10 / 20), (19, 1.0), (30, 1.0)):
        hub.update_info('epoch', epoch)
        with torch.no_grad():
            loss = model.loss(images, samples)['loss_nkd']
        torch.testing.assert_close(loss, warmup * expected, rtol=1e-12, atol=0)
    hub.update_info('epoch', 0)
