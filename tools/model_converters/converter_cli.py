"""The command line shared by the scripts of ``tools/model_converters/``."""
import argparse
import sys
from typing import Callable, Mapping, Sequence

from torch import Tensor

from kd_plugin.models.backbones.checkpoint_layout import (
    CheckpointLayoutError,
    config_name,
)


def converter_main(convert: Callable[[str, str, str],
                                     Mapping[str, Tensor]], archs: Sequence[str],
                   family: str, description: str, src_help: str) -> Callable[[], None]:
    """The ``main()`` of a ``tools/model_converters/`` script.

    It parses ``src dst --arch ARCH`` (``ARCH`` one of ``archs``), runs
    ``convert(src, dst, arch)`` and prints what it wrote; a
    :class:`CheckpointLayoutError` ends the process with status 1 and its message.
    """

    def main() -> None:
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument('src', help=src_help)
        parser.add_argument('dst', help='output file')
        parser.add_argument(
            '--arch',
            required=True,
            choices=archs,
            metavar='ARCH',
            help='architecture of the checkpoint, one of: ' + ', '.join(archs))
        args = parser.parse_args()
        try:
            state_dict = convert(args.src, args.dst, args.arch)
        except CheckpointLayoutError as error:
            sys.exit(f'error: {error}')
        print(f'{args.src} -> {args.dst}: {len(state_dict)} entries for '
              f'{config_name(family, args.arch)}')

    return main
