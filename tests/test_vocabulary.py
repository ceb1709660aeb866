"""The loss vocabulary is open: a component registers the inputs it provides, a config
binds a loss's arguments to any of them, and mistakes are named with the closest
choice."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmcv.transforms import BaseTransform
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS
from test_distiller import NUM_CLASSES, batch, classifier, distiller
from torch import Tensor

from kd_plugin.utils.vocabulary import (
    BATCH_INPUTS,
    batch_metainfo,
    register_batch_input,
    vocabulary,
)


# --------------------------------------------------- a new method with a new batch input
# Everything below lives in this test file: no kd_plugin file knows about it.
@TRANSFORMS.register_module(force=True)
class ToyDifficulty(BaseTransform):
    """A dataset-side transform that gives each sample a field (its index mod 3)."""

    def transform(self, results: dict) -> dict:
        results['difficulty'] = np.int64(results['sample_idx'] % 3)
        return results


register_batch_input(
    'difficulty',
    '(B,) int64 per-sample difficulty (ToyDifficulty transform)',
    lambda inputs, samples: batch_metainfo(
        samples, 'difficulty', inputs.device,
        "add dict(type='ToyDifficulty') to the pipeline"),
    provider=__name__)


@MODELS.register_module(force=True)
class ToyDifficultyKDLoss(nn.Module):
    """KD whose per-sample terms are scaled by 1 + difficulty."""

    def __init__(self, temperature: float = 4.0) -> None:
        super().__init__()
        self.kd = MODELS.build(
            dict(type='KDLoss', temperature=temperature, reduction='none'))

    def forward(self, logits_s: Tensor, logits_t: Tensor, difficulty: Tensor) -> Tensor:
        self.last_difficulty = difficulty
        return ((1 + difficulty) * self.kd(logits_s=logits_s, logits_t=logits_t)).mean()


def test_a_new_input_registered_by_its_provider_reaches_a_new_loss():
    dataset = DATASETS.build(
        dict(
            type='SyntheticClsDataset',
            num_samples=6,
            num_classes=NUM_CLASSES,
            image_size=16,
            pipeline=[
                dict(type='ToyDifficulty'),
                dict(type='PackInputs', meta_keys=('sample_idx', 'difficulty'))
            ]))
    model = distiller(distill_losses=dict(loss_toy=dict(type='ToyDifficultyKDLoss')))
    data = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(6)]), True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == {'loss_cls', 'loss_toy'} and torch.isfinite(losses['loss_toy'])
    seen = model.distill_losses['loss_toy'].last_difficulty
    assert seen.tolist() == [i % 3 for i in range(6)]
    assert 'difficulty' in vocabulary(
    ) and BATCH_INPUTS['difficulty'].provider == __name__
    # The provider's own error when the batch lacks the field.
    inputs, samples = batch()
    with pytest.raises(ValueError, match="ToyDifficulty"):
        model(inputs, samples, mode='loss')


def test_a_name_cannot_be_registered_twice_or_as_a_model_output():
    with pytest.raises(ValueError, match='registered by'):
        register_batch_input('target', 'x', lambda inputs, samples: None, 'elsewhere')
    with pytest.raises(ValueError, match='model outputs'):
        register_batch_input('weights_t', 'x', lambda inputs, samples: None, __name__)


# ------------------------------------------------------------------ input bindings
def test_inputs_rebind_a_loss_to_other_vocabulary_names():
    """KD bound to the pooled vectors' softmax is KD on those tensors: the binding
    changes what is passed, nothing else."""
    inputs, samples = batch()
    bound = distiller(
        distill_losses=dict(
            loss_kd=dict(
                type='KDLoss',
                temperature=4.0,
                inputs=dict(logits_s='pooled_s', logits_t='pooled_t'))),
        student=classifier(8))
    recorded = {}
    original = bound.distill_losses['loss_kd'].forward

    def spy(logits_s, logits_t):
        recorded.update(logits_s=logits_s, logits_t=logits_t)
        return original(logits_s, logits_t)

    bound.distill_losses['loss_kd'].forward = spy
    bound(inputs, samples, mode='loss')
    assert recorded['logits_s'].shape == recorded['logits_t'].shape == (4, 64)


def test_binding_mistakes_are_named_with_the_closest_choice():
    with pytest.raises(ValueError, match=r"binds 'logit_s' \(closest: 'logits_s'\)"):
        distiller(
            distill_losses=dict(
                loss_kd=dict(type='KDLoss', inputs=dict(logit_s='pooled_s'))))
    with pytest.raises(ValueError, match=r"'logits_t_axu'.*\(closest: 'logits_t_aux'\)"):
        distiller(
            distill_losses=dict(
                loss_kd=dict(type='KDLoss', inputs=dict(logits_t='logits_t_axu'))))


def test_unknown_loss_type_and_keyword_are_named_with_the_closest_choice():
    with pytest.raises(
            KeyError,
            match=r"loss_dkd: unknown loss type 'DKDLos' "
            r"\(closest: 'DKDLoss'\)"):
        distiller(distill_losses=dict(loss_dkd=dict(type='DKDLos')))
    with pytest.raises(
            TypeError,
            match=r"loss_dkd: DKDLoss has no argument 'temprature' "
            r"\(closest: 'temperature'\); its arguments: "
            r"alpha, beta, temperature"):
        distiller(distill_losses=dict(loss_dkd=dict(type='DKDLoss', temprature=4.0)))
