# The distilled DeiT-Tiny of ./deit-tiny-distilled_distill-head.py with stochastic depth
# 0.1, as DeiT trains it: `--drop-path` defaults to 0.1 and the README's distillation
# commands keep it (facebookresearch/deit@277659c93759ee7c560511864e4d62d137c15511:
# main.py). MMPretrain's deit-tiny-distilled config (an evaluation config) has none.
_base_ = ['./deit-tiny-distilled_distill-head.py']
model = dict(backbone=dict(drop_path_rate=0.1))
