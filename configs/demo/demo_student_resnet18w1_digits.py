# Demo step 2: the student trained alone (the baseline KD must beat).
_base_ = [
    '../_base_/models/demo_digits.py', '../_base_/datasets/digits_bs32.py',
    '../_base_/schedules/digits_sgd_30e.py', '../_base_/default_runtime.py'
]
model = {{_base_.student}}
default_hooks = dict(logger=dict(interval=16))
randomness = dict(seed=0)
