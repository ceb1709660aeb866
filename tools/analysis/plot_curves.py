"""Curves of one run: student (and teacher, if logged) val top-1 and each loss term.

Reads ``WORK_DIR/*/vis_data/scalars.json`` (all launches, resumes included); the teacher's
curve is ``teacher/accuracy/top1`` from ``TeacherEvalHook``::

    python tools/analysis/plot_curves.py work_dirs/NAME --out curves.png
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from kd_plugin.apis.analysis import plot_curves


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', metavar='WORK_DIR')
    parser.add_argument('--out', default='curves.png')
    parser.add_argument('--title', help='figure title (default: the config name)')
    args = parser.parse_args(argv)
    keys = plot_curves(args.work_dir, args.out, args.title)
    print(f'{args.out}: ' + ', '.join(keys))
    return keys


if __name__ == '__main__':
    main()
