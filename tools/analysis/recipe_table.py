"""Write, or check, the table of every config's resolved training recipe.

Each config is read as MMEngine's runner reads it (``Config.fromfile``, all ``_base_``
merged; nothing is built) and its recipe listed field by field: optimizer, schedulers,
epochs, GPUs and batch, training set and pipeline, normalisation, models, teacher
checkpoint and mode, every distillation loss with all its arguments, custom hooks
(``kd_plugin/apis/recipes.py``)::

    python tools/analysis/recipe_table.py            # (re)write docs/recipes.md
    python tools/analysis/recipe_table.py --check    # exit 1 naming what differs
    python tools/analysis/recipe_table.py --check configs/dkd/dkd_*.py

``--check`` compares a fresh resolution with the table file and prints, for each
config whose recipe differs, every field that differs (``field: table -> config``).
With config paths, only those are resolved and compared.
"""
import argparse
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from kd_plugin.apis.recipes import (
    ROOT,
    TABLE_FILE,
    compare_recipes,
    config_paths,
    parse_table,
    render_table,
    resolve_all,
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'configs',
        nargs='*',
        metavar='CONFIG',
        help='with --check: compare only these configs (default: every config)')
    parser.add_argument(
        '--check',
        action='store_true',
        help='compare with the table instead of writing it; exit 1 if they differ')
    parser.add_argument(
        '--table', default=str(ROOT / TABLE_FILE), help=f'default: {TABLE_FILE}')
    args = parser.parse_args(argv)
    if args.configs and not args.check:
        parser.error('config paths select what --check compares; writing the table '
                     'resolves every config')
    paths = [Path(path).resolve() for path in args.configs] or config_paths()
    try:
        recipes, models = resolve_all(paths)
    except RuntimeError as error:  # a config that does not load, named
        print(error)
        return 1
    if not args.check:
        Path(args.table).write_text(render_table(recipes, models))
        print(f'wrote {args.table}: {len(recipes)} configs, {len(models)} model files')
        return 0

    table = Path(args.table)
    if not table.is_file():
        print(f'{args.table} does not exist: run tools/analysis/recipe_table.py')
        return 1
    text = table.read_text()
    committed = parse_table(text)
    fresh = {**recipes, **models}
    keys = list(fresh) if args.configs else None
    differences = compare_recipes(committed, fresh, keys)
    if not differences and keys is None and text != render_table(recipes, models):
        differences.append('the recipes agree, but the rest of the file (summary tables, '
                           'header) differs from a fresh rendering')
    if differences:
        print(f'{args.table} and the configs differ (after an intended change, '
              'regenerate it with tools/analysis/recipe_table.py):')
        print('\n'.join(differences))
        return 1
    print(f'{args.table}: the recipes of {len(recipes)} configs and {len(models)} '
          'model files match')
    return 0


if __name__ == '__main__':
    sys.exit(main())
