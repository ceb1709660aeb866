"""Distillation losses, one file per method (contract: docs/loss_api.md)."""
from .kd import KDLoss
from .at import ATLoss
from .nst import NSTLoss
from .pkt import PKTLoss
from .rkd import RKDLoss
from .sp import SPLoss
from .ctkd import CTKDLoss
from .dist import DISTLoss
from .dkd import DKDLoss
from .edkd import EDKDLoss
from .erdkd import ERDKDLoss
from .erkd import ERKDLoss
from .lskd import LSKDLoss
from .nkd import NKDLoss
from .wsld import WSLDLoss
from .clkd import CLKDLoss
from .mlkd import MLKDLoss
from .sdd import SDDKDLoss, spp_region_logits
from .skd import SKDLoss
from .uskd import USKDLoss

__all__ = [
    'KDLoss', 'ATLoss', 'NSTLoss', 'PKTLoss', 'RKDLoss', 'SPLoss', 'CTKDLoss', 'DISTLoss',
    'DKDLoss', 'EDKDLoss', 'ERDKDLoss', 'ERKDLoss', 'LSKDLoss', 'NKDLoss', 'WSLDLoss',
    'CLKDLoss', 'MLKDLoss', 'SDDKDLoss', 'SKDLoss', 'USKDLoss', 'spp_region_logits'
]
