# Demo step 3: the same student distilled from the step-1 teacher with KD.
# tools/demo.py passes the teacher checkpoint: --cfg-options model.teacher_ckpt=PATH
_base_ = [
    '../_base_/models/demo_digits.py', '../_base_/datasets/digits_bs32.py',
    '../_base_/schedules/digits_sgd_30e.py', '../_base_/default_runtime.py'
]

model = dict(
    type='ClassificationDistiller',
    student={{_base_.student}},
    teacher={{_base_.teacher}},
    teacher_ckpt=None,
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1)
default_hooks = dict(logger=dict(interval=16))
randomness = dict(seed=0)
