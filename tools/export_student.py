"""Export the student of a distiller checkpoint as a plain MMPretrain checkpoint.

    python tools/export_student.py CKPT OUT [--config DISTILLER_CONFIG] [--input-size N]

OUT holds ``{'state_dict': student weights (no 'student.' prefix), 'meta': plain data}``:
no teacher, connectors, loss parameters, memory banks or optimizer state. The stock
student config loads it strictly (``tools/test.py STUDENT_CFG OUT``). With ``--config``
the export is verified first: the stock student must predict exactly as the distiller.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import kd_plugin  # noqa: F401  (registers the plugin's modules)
from kd_plugin.apis.export import ExportError, export_student


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export the student of a distiller')
    parser.add_argument('checkpoint', help='distiller training checkpoint (local or URL)')
    parser.add_argument('out', help='where to write the student checkpoint')
    parser.add_argument(
        '--config',
        help='the distiller config: verify the export against '
        'the stock student model (cfg.model.student)')
    parser.add_argument(
        '--input-size',
        type=int,
        help='image side of the verification '
        'batch (default: from the test pipeline)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        exported = export_student(
            args.checkpoint, args.out, config=args.config, input_size=args.input_size)
    except (ExportError, FileNotFoundError) as error:
        print(f'export_student: error: {error}', file=sys.stderr)
        return 1
    tensors = exported['state_dict']
    params = sum(t.numel() for t in tensors.values())
    checked = ' verified against ' + args.config if args.config else ''
    print(
        f'Wrote {args.out}: {len(tensors)} student tensors ({params:,} values){checked}.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
