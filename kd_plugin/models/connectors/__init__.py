"""Trainable adapters between student and teacher features, owned by the losses."""
from .abf import ABF
from .conv_bn import ConvBNConnector
from .conv_mlp import ConvMLPConnector
from .factor_transfer import Paraphraser, Translator
from .fcfd_bridge import FCFDBridge
from .linear_embed import LinearEmbed
from .mgd_generator import MGDGenerator
from .vitkd import TokenAligners, ViTKDGenerator

__all__ = [
    'ABF', 'ConvBNConnector', 'ConvMLPConnector', 'MGDGenerator', 'LinearEmbed',
    'FCFDBridge', 'TokenAligners', 'ViTKDGenerator', 'Paraphraser', 'Translator'
]
