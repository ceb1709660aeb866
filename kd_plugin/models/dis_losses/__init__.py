"""Distillation losses, one file per method (contract: docs/loss_api.md)."""
from .ab import ABLoss
from .at import ATLoss
from .cc import CCLoss
from .clkd import CLKDLoss
from .crd import CRDLoss
from .ctkd import CTKDLoss
from .dist import DISTLoss
from .dkd import DKDLoss
from .edkd import EDKDLoss
from .energy_dkd import EnergyDKDLoss
from .energy_kd import EnergyKDLoss
from .entropy_reweighted import EntropyReweightedLoss
from .erdkd import ERDKDLoss
from .erfcfd import ERFCFDLoss
from .ermlkd import ERMLKDLoss
from .fcfd import FCFDLoss
from .fitnet import FitNetLoss
from .fsp import FSPLoss
from .ft import FTLoss
from .heda import HighEnergyMix
from .kd import KDLoss
from .kdsvd import KDSVDLoss
from .lskd import LSKDLoss
from .mgd import MGDLoss
from .mlkd import MLKDLoss
from .nkd import NKDLoss
from .nst import NSTLoss
from .ofd import OFDLoss
from .pkt import PKTLoss
from .reviewkd import ReviewKDLoss
from .rkd import RKDLoss
from .sdd import SDDDKDLoss, SDDKDLoss, SDDLoss, SDDNKDLoss, spp_region_logits
from .skd import SKDLoss
from .sp import SPLoss
from .srrl import SRRLLoss
from .sskd import SSKDLoss
from .strong_view_ce import StrongViewCELoss
from .tfkd import TfKDSelfLoss, TfKDVirtualLoss
from .uskd import USKDLoss
from .vid import VIDLoss
from .vitkd import ViTKDLoss
from .wsld import WSLDLoss

__all__ = [
    'KDLoss', 'EntropyReweightedLoss', 'ATLoss', 'NSTLoss', 'PKTLoss', 'RKDLoss',
    'SPLoss', 'CTKDLoss', 'DISTLoss', 'DKDLoss', 'EDKDLoss', 'ERDKDLoss', 'LSKDLoss',
    'NKDLoss', 'WSLDLoss', 'CLKDLoss', 'MLKDLoss', 'SDDKDLoss', 'SDDLoss', 'SKDLoss',
    'StrongViewCELoss', 'USKDLoss', 'spp_region_logits', 'SDDDKDLoss', 'SDDNKDLoss',
    'FitNetLoss', 'VIDLoss', 'OFDLoss', 'ReviewKDLoss', 'MGDLoss', 'SRRLLoss', 'CRDLoss',
    'FCFDLoss', 'ERFCFDLoss', 'EnergyKDLoss', 'EnergyDKDLoss', 'HighEnergyMix',
    'ERMLKDLoss', 'ViTKDLoss', 'CCLoss', 'KDSVDLoss', 'TfKDSelfLoss', 'TfKDVirtualLoss',
    'ABLoss', 'FTLoss', 'FSPLoss', 'SSKDLoss'
]
