# MMPretrain's distilled DeiT-Tiny (class + distillation tokens) with DeiTDistillHead,
# which gives the training loss of the class token and lets the distiller tap the
# distillation token's logits (`head.layers.head_dist`).
_base_ = ['mmpretrain::deit/deit-tiny-distilled_4xb256_in1k.py']
model = dict(head=dict(type='DeiTDistillHead'))
