"""TinyImageNet: the native tiny-imagenet-200 layout, generated in a temporary folder."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS

from kd_plugin.datasets import TinyImageNet

REPO = Path(__file__).resolve().parents[1]
# In wnids.txt order, deliberately not sorted, as in the released file.
WNIDS = ('n04067472', 'n02124075', 'n09246464')
WORDS = {
    'n02124075': 'Egyptian cat',
    'n04067472': 'reel',
    'n09246464': 'cliff, drop, drop-off',
    'n00001740': 'entity'
}
TRAIN_PER_CLASS = 2
# (file, wnid) of val/val_annotations.txt.
VAL = (('val_0.JPEG', 'n09246464'), ('val_1.JPEG', 'n04067472'),
       ('val_2.JPEG', 'n02124075'), ('val_3.JPEG', 'n09246464'))


def write_image(path: Path, value: int, gray: bool = False) -> None:
    """A uniform 64x64 JPEG: grey ``value``, or BGR (value, 100, 30)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((64, 64), value, np.uint8) if gray else np.full(
        (64, 64, 3), (value, 100, 30), np.uint8)
    assert cv2.imwrite(str(path), image)


@pytest.fixture
def tiny_root(tmp_path) -> Path:
    """A tiny-imagenet-200 tree with 3 classes, 2 training images each, 4 val images."""
    root = tmp_path / 'tiny-imagenet-200'
    root.mkdir()
    (root / 'wnids.txt').write_text(''.join(f'{wnid}\n' for wnid in WNIDS))
    (root / 'words.txt').write_text(''.join(f'{w}\t{n}\n' for w, n in WORDS.items()))
    for label, wnid in enumerate(WNIDS):
        for index in range(TRAIN_PER_CLASS):
            write_image(
                root / 'train' / wnid / 'images' / f'{wnid}_{index}.JPEG',
                40 * label + index,
                gray=index == 1)
        (root / 'train' / wnid / f'{wnid}_boxes.txt').write_text(''.join(
            f'{wnid}_{i}.JPEG\t0\t0\t63\t63\n' for i in range(TRAIN_PER_CLASS)))
    for index, (name, _) in enumerate(VAL):
        write_image(root / 'val' / 'images' / name, 200 + index)
    (root / 'val' / 'val_annotations.txt').write_text(''.join(
        f'{name}\t{wnid}\t0\t0\t63\t63\n' for name, wnid in VAL))
    return root


def test_train_split_reads_every_class_folder(tiny_root):
    dataset = TinyImageNet(data_root=str(tiny_root), split='train')
    assert dataset.metainfo['wnids'] == list(WNIDS)
    assert dataset.CLASSES == [WORDS[wnid] for wnid in WNIDS]
    assert len(dataset) == len(WNIDS) * TRAIN_PER_CLASS
    labels = [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]
    assert labels == [
        label for label in range(len(WNIDS)) for _ in range(TRAIN_PER_CLASS)
    ]
    first = dataset.get_data_info(0)['img_path']
    assert first == str(tiny_root / 'train' / WNIDS[0] / 'images' / f'{WNIDS[0]}_0.JPEG')


def test_val_split_uses_annotations(tiny_root):
    dataset = TinyImageNet(data_root=str(tiny_root), split='val')
    assert len(dataset) == len(VAL)
    for index, (name, wnid) in enumerate(VAL):
        info = dataset.get_data_info(index)
        assert info['img_path'] == str(tiny_root / 'val' / 'images' / name)
        assert info['gt_label'] == WNIDS.index(wnid)


def test_sort_classes_gives_image_folder_order(tiny_root):
    dataset = TinyImageNet(data_root=str(tiny_root), split='val', sort_classes=True)
    assert dataset.metainfo['wnids'] == sorted(WNIDS)
    labels = [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]
    assert labels == [sorted(WNIDS).index(wnid) for _, wnid in VAL]


@pytest.mark.parametrize('missing', [
    'wnids.txt', 'words.txt', 'train', f'train/{WNIDS[1]}/images', 'val/images',
    'val/val_annotations.txt'
])
def test_incomplete_root_names_the_missing_path(tiny_root, missing):
    target = tiny_root / missing
    if target.is_dir():
        for path in sorted(target.rglob('*'), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        target.rmdir()
    else:
        target.unlink()
    split = 'val' if missing.startswith('val') else 'train'
    with pytest.raises(FileNotFoundError, match='nothing is downloaded') as error:
        TinyImageNet(data_root=str(tiny_root), split=split)
    assert str(target) in str(error.value)


def test_bad_annotation_line(tiny_root):
    annotations = tiny_root / 'val' / 'val_annotations.txt'
    annotations.write_text(annotations.read_text() +
                           'val_9.JPEG\tn99999999\t0\t0\t1\t1\n')
    with pytest.raises(ValueError, match='line 5: expected'):
        TinyImageNet(data_root=str(tiny_root), split='val')


def test_base_config_pipelines_and_preprocessor(tiny_root):
    """The dataset config's pipelines and data preprocessor on the generated images."""
    cfg = Config.fromfile(REPO / 'configs' / '_base_' / 'datasets' /
                          'tinyimagenet_bs64.py')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        train = DATASETS.build(
            dict(cfg.train_dataloader.dataset, data_root=str(tiny_root)))
        val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=str(tiny_root)))
        preprocessor = MODELS.build(
            dict(type='ClsDataPreprocessor', **cfg.data_preprocessor))
    assert len(train.CLASSES) == len(WNIDS)
    sample = train[1]  # a grayscale JPEG: decoded to three channels
    assert sample['inputs'].shape == (3, 64, 64) and sample['inputs'].dtype == torch.uint8
    assert sample['data_samples'].gt_label.item() == 0

    batch = preprocessor(
        dict(inputs=[val[0]['inputs']], data_samples=[val[0]['data_samples']]),
        training=False)
    # Loaded as BGR, fed to the model as RGB normalised with the ImageNet statistics.
    mean = torch.tensor(cfg.data_preprocessor.mean).view(3, 1, 1)
    std = torch.tensor(cfg.data_preprocessor.std).view(3, 1, 1)
    pixel = val[0]['inputs'][:, :1, :1].float()
    torch.testing.assert_close(batch['inputs'][0, :, :1, :1],
                               (pixel.flip(0) - mean) / std)
    assert val[0]['data_samples'].gt_label.item() == WNIDS.index(VAL[0][1])


def test_a_corrupt_image_file_is_named(tiny_root):
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    broken = tiny_root / 'train' / WNIDS[0] / 'images' / f'{WNIDS[0]}_0.JPEG'
    broken.write_bytes(b'not a jpeg')
    dataset = TinyImageNet(
        data_root=str(tiny_root),
        split='train',
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='PackInputs')])
    with pytest.raises(Exception, match=f'failed to load image: {broken}'):
        dataset[0]
