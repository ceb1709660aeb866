from typing import Dict, List, Optional

from mmengine.fileio import get_file_backend, list_from_file
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class TinyImageNet(BaseDataset):
    """Tiny ImageNet (Tiny-ImageNet-200), read from its released folder layout.

    200 ImageNet classes at 64x64 pixels, 500 training and 50 validation images per
    class (the test split has no labels and is not supported). The second benchmark
    of ER-KD (cpsu00/ER-KD, ``ER-FCFD/classification/tin``). The folder is used as
    unpacked from ``tiny-imagenet-200.zip``, nothing is moved or downloaded::

        tiny-imagenet-200/
            wnids.txt                  one WordNet id per line: the classes
            words.txt                  "<wnid>\\t<names>" for WordNet ids
            train/<wnid>/images/*.JPEG
            val/images/*.JPEG
            val/val_annotations.txt    "<file>\\t<wnid>\\t<x0>\\t<y0>\\t<x1>\\t<y1>"

    Class ``i`` is line ``i`` of ``wnids.txt``; with ``sort_classes=True`` the wnids
    are sorted instead, which is the order of torchvision's ``ImageFolder`` and so of
    checkpoints trained with the ER-KD / RepDistiller loaders (they read the same
    folders through ``ImageFolder``, the validation images regrouped by class). The
    class names in ``metainfo['classes']`` come from ``words.txt``; the wnids are in
    ``metainfo['wnids']``. Images are loaded by the pipeline (``LoadImageFromFile``).

    Args:
        data_root: The ``tiny-imagenet-200`` folder.
        split: ``'train'`` or ``'val'``.
        sort_classes: Label classes in sorted-wnid order instead of ``wnids.txt``
            order.
        metainfo: Overrides of the meta information read from the folder.
        **kwargs: Other :class:`mmpretrain.datasets.BaseDataset` arguments
            (``pipeline``, ``test_mode`` ...).

    Raises:
        FileNotFoundError: a file or folder of the layout is missing (the message names
            it).
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 sort_classes: bool = False,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if split not in ('train', 'val'):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        self.split = split
        self.backend = get_file_backend(data_root, enable_singleton=True)
        self.data_root = data_root
        wnids = [line.strip() for line in list_from_file(self._required('wnids.txt'))]
        wnids = [wnid for wnid in wnids if wnid]
        if sort_classes:
            wnids = sorted(wnids)
        names = self._read_words(wnids)
        super().__init__(
            ann_file='',
            data_root=data_root,
            metainfo={
                'classes': [names[wnid] for wnid in wnids],
                'wnids': wnids,
                **(metainfo or {})
            },
            **kwargs)

    def _required(self, *parts: str, folder: bool = False) -> str:
        """Path of ``data_root/parts``; FileNotFoundError naming it if it is missing."""
        path = self.backend.join_path(self.data_root, *parts)
        found = self.backend.isdir(path) if folder else self.backend.isfile(path)
        if not found:
            raise FileNotFoundError(
                f'Tiny-ImageNet: {path} is missing ({"folder" if folder else "file"}). '
                f'data_root={self.data_root!r} must be the unpacked tiny-imagenet-200 '
                'folder '
                '(wnids.txt, words.txt, train/<wnid>/images/, val/images/, '
                'val/val_annotations.txt); nothing is downloaded.')
        return path

    def _read_words(self, wnids: List[str]) -> Dict[str, str]:
        """``wnid -> names`` from ``words.txt`` for the given wnids."""
        wanted = set(wnids)
        names = {}
        for line in list_from_file(self._required('words.txt')):
            wnid, _, words = line.partition('\t')
            if wnid in wanted:
                names[wnid] = words.strip()
        unnamed = [wnid for wnid in wnids if wnid not in names]
        if unnamed:
            raise ValueError(f'Tiny-ImageNet: words.txt has no entry for {len(unnamed)} '
                             f'wnids of wnids.txt, e.g. {unnamed[:3]}')
        return names

    def load_data_list(self) -> List[dict]:
        label_of = {wnid: label for label, wnid in enumerate(self.metainfo['wnids'])}
        if self.split == 'train':
            return self._train_list(label_of)
        return self._val_list(label_of)

    def _train_list(self, label_of: Dict[str, int]) -> List[dict]:
        self._required('train', folder=True)
        data_list = []
        for wnid, label in label_of.items():
            folder = self._required('train', wnid, 'images', folder=True)
            files = sorted(
                self.backend.list_dir_or_file(folder, list_dir=False, suffix='.JPEG'))
            if not files:
                raise FileNotFoundError(f'Tiny-ImageNet: no .JPEG image in {folder}')
            data_list += [
                dict(img_path=self.backend.join_path(folder, name), gt_label=label)
                for name in files
            ]
        return data_list

    def _val_list(self, label_of: Dict[str, int]) -> List[dict]:
        folder = self._required('val', 'images', folder=True)
        annotations = self._required('val', 'val_annotations.txt')
        data_list = []
        for number, line in enumerate(list_from_file(annotations), 1):
            if not line.strip():
                continue
            fields = line.split('\t')
            if len(fields) < 2 or fields[1] not in label_of:
                raise ValueError(f'{annotations}, line {number}: expected '
                                 f'"<file>\\t<wnid>\\t..." with a wnid of wnids.txt, '
                                 f'got {line!r}')
            data_list.append(
                dict(
                    img_path=self.backend.join_path(folder, fields[0]),
                    gt_label=label_of[fields[1]]))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}', f'Split: \t{self.split}']
