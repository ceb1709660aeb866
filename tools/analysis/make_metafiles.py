"""Write ``configs/<method>/metafile.yml`` for every method folder, and
``model-index.yml``.

Each model is one config (Name = basename). Metadata come from the config itself
(epochs, batch size per GPU x GPUs of the name, dataset) and its name (teacher, student);
``Results`` come from ``kd_plugin/data/reported_results/<method>.yml`` (the sources'
reported top-1, with where it comes from), ``null`` where no number is reported. Re-run
after adding a config or a reported number::

    python tools/analysis/make_metafiles.py            # writes the files
    python tools/analysis/make_metafiles.py --check    # exit 1 if a file is out of date
"""
import argparse
import os
import os.path as osp
import sys
from glob import glob

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from kd_plugin.apis.analysis import parse_config_name, reported_by_config

SKIPPED = ('_base_', 'demo', 'baselines')

# Collection of each method folder: (name, paper title, paper URL or None).
# URLs only where the paper's address is certain; the README says the rest.
COLLECTIONS = {
    'ab': ('AB', 'Knowledge Transfer via Distillation of Activation Boundaries Formed by '
           'Hidden Neurons', 'https://arxiv.org/abs/1811.03233'),
    'at': ('AT', 'Paying More Attention to Attention: Improving the Performance of '
           'Convolutional Neural Networks via Attention Transfer',
           'https://arxiv.org/abs/1612.03928'),
    'cc': ('CC', 'Correlation Congruence for Knowledge Distillation',
           'https://arxiv.org/abs/1904.01802'),
    'clkd':
    ('CLKD', 'Class-aware Information for Logit-based Knowledge Distillation', None),
    'crd': ('CRD', 'Contrastive Representation Distillation',
            'https://arxiv.org/abs/1910.10699'),
    'ctkd': ('CTKD', 'Curriculum Temperature for Knowledge Distillation',
             'https://arxiv.org/abs/2211.16231'),
    'dist': ('DIST', 'Knowledge Distillation from A Stronger Teacher',
             'https://arxiv.org/abs/2205.10536'),
    'dkd':
    ('DKD', 'Decoupled Knowledge Distillation', 'https://arxiv.org/abs/2203.08679'),
    'dot': ('DOT', 'DOT: A Distillation-Oriented Trainer', None),
    'edkd': ('EDKD', 'Exponential dynamic knowledge distillation', None),
    'energydkd': ('Energy-DKD', 'Maximizing Discrimination Capability of Knowledge '
                  'Distillation with Energy Function', None),
    'energykd': ('Energy-KD', 'Maximizing Discrimination Capability of Knowledge '
                 'Distillation with Energy Function', None),
    'erctkd': ('ER-CTKD', 'Knowledge From the Dark Side: Entropy-Reweighted Knowledge '
               'Distillation', 'https://arxiv.org/abs/2311.13621'),
    'erdkd': ('ER-DKD', 'Knowledge From the Dark Side: Entropy-Reweighted Knowledge '
              'Distillation', 'https://arxiv.org/abs/2311.13621'),
    'erfcfd': ('ER-FCFD', 'Knowledge From the Dark Side: Entropy-Reweighted Knowledge '
               'Distillation', 'https://arxiv.org/abs/2311.13621'),
    'erkd': ('ER-KD', 'Knowledge From the Dark Side: Entropy-Reweighted Knowledge '
             'Distillation', 'https://arxiv.org/abs/2311.13621'),
    'ermlkd': ('ER-MLKD', 'Knowledge From the Dark Side: Entropy-Reweighted Knowledge '
               'Distillation', 'https://arxiv.org/abs/2311.13621'),
    'erreviewkd': ('ER-ReviewKD', 'Knowledge From the Dark Side: Entropy-Reweighted '
                   'Knowledge Distillation', 'https://arxiv.org/abs/2311.13621'),
    'fcfd': ('FCFD', 'Function-Consistent Feature Distillation', None),
    'fsp': ('FSP', 'A Gift from Knowledge Distillation: Fast Optimization, Network '
            'Minimization and Transfer Learning', None),
    'ft': ('FT', 'Paraphrasing Complex Network: Network Compression via Factor Transfer',
           'https://arxiv.org/abs/1802.04977'),
    'fitnet':
    ('FitNet', 'FitNets: Hints for Thin Deep Nets', 'https://arxiv.org/abs/1412.6550'),
    'heda': ('HE-DA', 'Maximizing Discrimination Capability of Knowledge Distillation '
             'with Energy Function', None),
    'kd': ('KD', 'Distilling the Knowledge in a Neural Network',
           'https://arxiv.org/abs/1503.02531'),
    'kdsvd': ('KD-SVD', 'Self-supervised Knowledge Distillation Using Singular Value '
              'Decomposition', 'https://arxiv.org/abs/1807.06819'),
    'lsctkd': ('LS-CTKD', 'Logit Standardization in Knowledge Distillation',
               'https://arxiv.org/abs/2403.01427'),
    'lsdkd': ('LS-DKD', 'Logit Standardization in Knowledge Distillation',
              'https://arxiv.org/abs/2403.01427'),
    'lskd': ('LS-KD', 'Logit Standardization in Knowledge Distillation',
             'https://arxiv.org/abs/2403.01427'),
    'lsmlkd': ('LS-MLKD', 'Logit Standardization in Knowledge Distillation',
               'https://arxiv.org/abs/2403.01427'),
    'mgd': ('MGD', 'Masked Generative Distillation', 'https://arxiv.org/abs/2205.01529'),
    'mlkd': ('MLKD', 'Multi-Level Logit Distillation', None),
    'deit': ('DeiT', 'Training data-efficient image transformers & distillation through '
             'attention', 'https://arxiv.org/abs/2012.12877'),
    'nkd':
    ('NKD', 'From Knowledge Distillation to Self-Knowledge Distillation: A Unified '
     'Approach with Normalized Loss and Customized Soft Labels',
     'https://arxiv.org/abs/2303.13005'),
    'vitkd':
    ('ViTKD', 'ViTKD: Practical Guidelines for ViT feature knowledge distillation',
     'https://arxiv.org/abs/2209.02432'),
    'nst': ('NST',
            'Like What You Like: Knowledge Distill via Neuron Selectivity Transfer',
            'https://arxiv.org/abs/1707.01219'),
    'ofd': ('OFD', 'A Comprehensive Overhaul of Feature Distillation',
            'https://arxiv.org/abs/1904.01866'),
    'pkt': ('PKT', 'Learning Deep Representations with Probabilistic Knowledge Transfer',
            'https://arxiv.org/abs/1803.10837'),
    'reviewkd': ('ReviewKD', 'Distilling Knowledge via Knowledge Review',
                 'https://arxiv.org/abs/2104.09044'),
    'rkd': ('RKD', 'Relational Knowledge Distillation',
            'https://arxiv.org/abs/1904.05068'),
    'sdd': ('SDD', 'Scale Decoupled Distillation', None),
    'skd': ('SKD', 'Streamlined Knowledge Distillation', None),
    'sp': ('SP', 'Similarity-Preserving Knowledge Distillation',
           'https://arxiv.org/abs/1907.09682'),
    'srrl': ('SRRL',
             'Knowledge Distillation via Softmax Regression Representation Learning',
             None),
    'sskd': ('SSKD', 'Knowledge Distillation Meets Self-Supervision',
             'https://arxiv.org/abs/2006.07114'),
    'tfkd': ('Tf-KD', 'Revisiting Knowledge Distillation via Label Smoothing '
             'Regularization', 'https://arxiv.org/abs/1909.11723'),
    'uskd': ('USKD',
             'From Knowledge Distillation to Self-Knowledge Distillation: A Unified '
             'Approach with Normalized Loss and Customized Soft Labels',
             'https://arxiv.org/abs/2303.13005'),
    'vid': ('VID', 'Variational Information Distillation for Knowledge Transfer',
            'https://arxiv.org/abs/1904.05835'),
    'wsld': ('WSLD', 'Rethinking Soft Labels for Knowledge Distillation: A Bias-Variance '
             'Tradeoff Perspective', 'https://arxiv.org/abs/2102.00650'),
}


def method_folders(root=ROOT):
    folders = []
    for path in sorted(glob(osp.join(root, 'configs', '*', ''))):
        name = osp.basename(osp.dirname(path))
        if name not in SKIPPED and glob(osp.join(path, '*.py')):
            folders.append(name)
    return folders


def _quote(text):
    return "'" + str(text).replace("'", "''") + "'"


def model_entry(config_path, collection, reported):
    from mmengine import Config
    name = osp.basename(config_path)[:-3]
    parts = parse_config_name(name)
    cfg = Config.fromfile(config_path)
    epochs = cfg.get('train_cfg', {}).get('max_epochs')
    batch = cfg.train_dataloader.batch_size * (parts['gpus'] or 1)
    dataset = parts['dataset'] or cfg.train_dataloader.dataset.type
    lines = [
        f'  - Name: {name}', f'    In Collection: {collection}', '    Metadata:',
        f'      Teacher: {_quote(parts["teacher"]) if parts["teacher"] else "null"}',
        f'      Student: {_quote(parts["student"])}', f'      Epochs: {epochs}',
        f'      Batch Size: {batch}', f'      Dataset: {dataset}'
    ]
    entry = reported.get(name)
    if entry is None:
        lines.append('    Results: null')
    else:
        lines += [
            '    Results:', '      - Task: Image Classification',
            f'        Dataset: {entry["dataset"]}', '        Metrics:',
            f'          Top 1 Accuracy: {entry["top1"]:.2f}',
            f'    # reported by the source: {entry["source"]}'
        ]
    rel = osp.relpath(config_path, ROOT).replace(os.sep, '/')
    lines.append(f'    Config: {rel}')
    return lines


def metafile_text(folder, reported, root=ROOT):
    collection, title, url = COLLECTIONS[folder]
    configs = sorted(glob(osp.join(root, 'configs', folder, '*.py')))
    datasets = sorted({parse_config_name(c)['dataset'] or 'CIFAR-100' for c in configs})
    lines = [
        '# Generated by tools/analysis/make_metafiles.py from the configs and',
        '# kd_plugin/data/reported_results/<method>.yml: edit those and re-run it.',
        'Collections:', f'  - Name: {collection}', '    Metadata:', '      Training Data:'
    ] + [f'        - {d}' for d in datasets] + [
        '      Training Techniques:', '        - Knowledge Distillation',
        '        - SGD with Momentum', '    Paper:', f'      Title: {_quote(title)}'
    ]
    if url:
        lines.append(f'      URL: {url}')
    readme = f'configs/{folder}/README.md'
    if osp.exists(osp.join(root, readme)):
        lines.append(f'    README: {readme}')
    lines += ['', 'Models:']
    for config in configs:
        lines += model_entry(config, collection, reported)
    return '\n'.join(lines) + '\n'


def model_index_text(folders):
    return 'Import:\n' + ''.join(f'  - configs/{f}/metafile.yml\n' for f in folders)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='only compare with the files on disk; exit 1 if any differs')
    parser.add_argument('folders', nargs='*', help='method folders (default: all)')
    args = parser.parse_args()
    reported = reported_by_config()
    folders = args.folders or method_folders()
    missing = [f for f in folders if f not in COLLECTIONS]
    if missing:
        sys.exit(f'no collection entry for {missing}: add it to COLLECTIONS')
    outputs = {
        osp.join(ROOT, 'configs', f, 'metafile.yml'): metafile_text(f, reported)
        for f in folders
    }
    if not args.folders:
        outputs[osp.join(ROOT, 'model-index.yml')] = model_index_text(folders)
    stale = []
    for path, text in outputs.items():
        old = open(path).read() if osp.exists(path) else None
        if old != text:
            stale.append(osp.relpath(path, ROOT))
            if not args.check:
                with open(path, 'w') as file:
                    file.write(text)
    verb = 'out of date' if args.check else 'written'
    print(f'{len(stale)} of {len(outputs)} files {verb}' + ''.join(f'\n  {s}'
                                                                   for s in stale))
    if args.check and stale:
        sys.exit(1)


if __name__ == '__main__':
    main()
