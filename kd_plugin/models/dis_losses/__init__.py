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
from .entropy_reweighted import EntropyReweightedLoss
from .erkd import ERKDLoss
from .ermlkd import ERMLKDLoss
from .erctkd import ERCTKDLoss
from .lskd import LSKDLoss
from .nkd import NKDLoss
from .vitkd import ViTKDLoss
from .wsld import WSLDLoss
from .clkd import CLKDLoss
from .mlkd import MLKDLoss
from .sdd import SDDDKDLoss, SDDKDLoss, SDDLoss, SDDNKDLoss, spp_region_logits
from .skd import SKDLoss
from .strong_view_ce import StrongViewCELoss
from .uskd import USKDLoss
from .fitnet import FitNetLoss
from .vid import VIDLoss
from .ofd import OFDLoss
from .reviewkd import ReviewKDLoss
from .erreviewkd import ERReviewKDLoss
from .mgd import MGDLoss
from .srrl import SRRLLoss
from .crd import CRDLoss
from .fcfd import FCFDLoss
from .erfcfd import ERFCFDLoss
from .energy_kd import EnergyKDLoss
from .energy_dkd import EnergyDKDLoss
from .heda import AuxViewKDLoss, HighEnergyMix

__all__ = [
    'KDLoss', 'EntropyReweightedLoss', 'ATLoss', 'NSTLoss', 'PKTLoss', 'RKDLoss', 'SPLoss',
    'CTKDLoss', 'DISTLoss',
    'DKDLoss', 'EDKDLoss', 'ERDKDLoss', 'ERKDLoss', 'LSKDLoss', 'NKDLoss', 'WSLDLoss',
    'CLKDLoss', 'MLKDLoss', 'SDDKDLoss', 'SDDLoss', 'SKDLoss', 'StrongViewCELoss', 'USKDLoss',
    'spp_region_logits', 'SDDDKDLoss', 'SDDNKDLoss',
    'FitNetLoss', 'VIDLoss', 'OFDLoss', 'ReviewKDLoss', 'ERReviewKDLoss', 'MGDLoss',
    'SRRLLoss', 'CRDLoss',
    'FCFDLoss', 'ERFCFDLoss',
    'EnergyKDLoss', 'EnergyDKDLoss', 'AuxViewKDLoss', 'HighEnergyMix',
    'ERMLKDLoss', 'ERCTKDLoss', 'ViTKDLoss'
]
