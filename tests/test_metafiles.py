"""Metafiles: every method config is in exactly one metafile, all imported by
model-index."""
import os.path as osp
from glob import glob

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SKIPPED = ('_base_', 'demo', 'baselines')


def _method_configs():
    return sorted(
        p for p in glob(osp.join(ROOT, 'configs', '*', '*.py'))
        if osp.basename(osp.dirname(p)) not in SKIPPED)


def _metafiles():
    return sorted(glob(osp.join(ROOT, 'configs', '*', 'metafile.yml')))


def _load(path):
    with open(path) as file:
        return yaml.safe_load(file)


def test_every_config_in_exactly_one_metafile():
    seen = {}
    for metafile in _metafiles():
        for model in _load(metafile)['Models']:
            config = model['Config']
            assert osp.exists(osp.join(ROOT, config)), f'{metafile}: {config} missing'
            assert model['Name'] == osp.basename(config)[:-3]
            seen.setdefault(config, []).append(metafile)
    configs = [osp.relpath(p, ROOT) for p in _method_configs()]
    assert not [c for c in configs if c not in seen], 'configs in no metafile'
    assert {c: m for c, m in seen.items() if len(m) > 1} == {}


def test_model_index_imports_every_metafile():
    imports = _load(osp.join(ROOT, 'model-index.yml'))['Import']
    expected = [osp.relpath(p, ROOT) for p in _metafiles()]
    assert sorted(imports) == sorted(expected)


def test_models_well_formed():
    from kd_plugin.apis.analysis import reported_by_config
    reported = reported_by_config()
    for metafile in _metafiles():
        data = _load(metafile)
        collections = {c['Name'] for c in data['Collections']}
        for model in data['Models']:
            assert model['In Collection'] in collections
            meta = model['Metadata']
            assert {'Teacher', 'Student', 'Epochs', 'Batch Size', 'Dataset'} <= set(meta)
            assert meta['Epochs'] > 0 and meta['Batch Size'] > 0
            entry = reported.get(model['Name'])
            if entry is None:
                assert model['Results'] is None
            else:
                (result, ) = model['Results']
                assert result['Task'] == 'Image Classification'
                assert result['Dataset'] == entry['dataset']
                assert result['Metrics']['Top 1 Accuracy'] == entry['top1']


def test_reported_results_data():
    from kd_plugin.apis.analysis import load_reported, parse_config_name
    names = {osp.basename(p)[:-3] for p in glob(osp.join(ROOT, 'configs', '*', '*.py'))}
    for entry in load_reported():
        assert entry['config'] in names, entry['config']
        assert entry['source'] and isinstance(entry['top1'], float)
        assert 0 < entry['top1'] < 100
        parts = parse_config_name(entry['config'])
        assert (entry['teacher'], entry['student'],
                entry['dataset']) == (parts['teacher'], parts['student'],
                                      parts['dataset'])


def test_reported_numbers_match_readmes():
    """Spot checks against the sources' README tables."""
    from kd_plugin.apis.analysis import reported_by_config
    reported = reported_by_config()
    assert reported['kd_resnet56_resnet20_1xb64_cifar100']['top1'] == 70.66
    assert reported['dkd_resnet32x4_resnet8x4_1xb64_cifar100']['top1'] == 76.32
    assert reported['sdddkd_resnet32x4_shufflev1_1xb64_cifar100']['top1'] == 77.30
    assert reported['uskd_resnet18_8xb32_in1k']['dataset'] == 'ImageNet-1k'
    assert reported['uskd_resnet18_8xb32_in1k']['teacher'] is None
    assert 'wsld_vgg13_vgg8_1xb64_cifar100' not in reported


def test_modelindex_loads():
    pytest.importorskip('modelindex')
    from modelindex.load_model_index import load
    index = load(osp.join(ROOT, 'model-index.yml'))
    names = {model.name for model in index.models}
    assert len(names) == len(_method_configs())


def test_metafiles_up_to_date():
    """The generator reproduces one folder's metafile (the others are the same code)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'make_metafiles', osp.join(ROOT, 'tools', 'analysis', 'make_metafiles.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from kd_plugin.apis.analysis import reported_by_config
    path = osp.join(ROOT, 'configs', 'crd', 'metafile.yml')
    assert module.metafile_text('crd', reported_by_config()) == open(path).read()
    assert set(module.method_folders()) <= set(module.COLLECTIONS)
