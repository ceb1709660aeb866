# Demo step 1: the teacher, trained on 500 digits.
_base_ = [
    '../_base_/models/demo_digits.py', '../_base_/datasets/digits_bs32.py',
    '../_base_/schedules/digits_sgd_30e.py', '../_base_/default_runtime.py'
]
model = {{_base_.teacher}}
default_hooks = dict(logger=dict(interval=16))
randomness = dict(seed=0)
