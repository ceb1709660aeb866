"""kd_plugin: knowledge distillation for image classification, as an MMPretrain plugin.

``pip install .`` copies ``configs/``, ``tools/`` and ``model-index.yml`` into
``kd_plugin/.mim`` so that ``mim train kd_plugin CFG`` / ``mim test kd_plugin CFG``
find them. Legacy develop installs (``pip install -e .`` with pip < 25.3, or
``python setup.py develop``) symlink them instead. PEP 660 editable installs cannot
provide ``.mim`` to mim: use ``python tools/train.py`` there, or a regular install.
"""
import os
import os.path as osp
import shutil
import sys
from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_version() -> str:
    namespace = {}
    with open(osp.join(ROOT, 'kd_plugin', 'version.py')) as file:
        exec(file.read(), namespace)
    return namespace['__version__']


def read_requirements(name: str) -> list:
    with open(osp.join(ROOT, 'requirements', name)) as file:
        lines = (line.split('#')[0].strip() for line in file)
        return [line for line in lines if line]


def add_mim_extension() -> None:
    """Fill ``kd_plugin/.mim``: symlinks for develop installs, copies for builds."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_dir = osp.join(ROOT, 'kd_plugin', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(ROOT, name), osp.join(mim_dir, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='kd_plugin',
        version=read_version(),
        description='Knowledge distillation for image classification, as an MMPretrain '
        'plugin',
        long_description=open(osp.join(ROOT, 'README.md'), encoding='utf-8').read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        include_package_data=True,
        package_data={'kd_plugin': ['.mim/**/*', '.mim/*', 'data/reported_results/*']},
        python_requires='>=3.9',
        install_requires=read_requirements('runtime.txt'),
        extras_require={
            'mim': read_requirements('mminstall.txt'),
            'tests': read_requirements('tests.txt'),
            'tensorboard': ['tensorboard'],
            'wandb': ['wandb'],
        },
        zip_safe=False,
    )
