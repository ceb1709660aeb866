"""Distillation losses, one file per method (contract: docs/loss_api.md)."""
from .kd import KDLoss

__all__ = ['KDLoss']
