# SD-KD, resnet50_vgg8: methods_logit.md section 10 (SDD's scripts): pyramid levels [1, 2,
# 4], T 4, KD weight 0.9, CE 0.1; learning rate from the pair base (0.01 for MobileNetV2 /
# ShuffleNet students). The zoo's default taps give each model's last stage map, which
# SDDLoss pools into regions for the model's own classifier.
_base_ = [
    '../_base_/pairs/resnet50_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_sdd=dict(type='SDDLoss', levels=(1, 2,
                                              4), temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1)
