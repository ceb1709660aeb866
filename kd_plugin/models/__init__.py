from . import backbones, connectors, dis_losses, distillers, heads  # noqa: F401
