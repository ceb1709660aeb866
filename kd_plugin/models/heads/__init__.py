"""Classification heads for distillation students."""
from .deit_distill_head import DeiTDistillHead, DeiTDistillTokenLoss

__all__ = ['DeiTDistillHead', 'DeiTDistillTokenLoss']
