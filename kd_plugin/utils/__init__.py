from .stack import check_stack

__all__ = ['check_stack']
