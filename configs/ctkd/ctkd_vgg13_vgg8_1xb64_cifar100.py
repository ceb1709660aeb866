# CTKD, VGG13 -> VGG8, CIFAR-100 (methods_logit.md section 9,
# scripts/run_cifar_distill.sh `-r 0.1 -a 0.9 -b 0`): global learnable T = 1 + 20
# sigmoid(theta), theta from 1, lambda cosine 0 -> -1 over 10 epochs, KD weight 0.9, CE
# weight 0.1, lr 0.05 (pair base). theta is a parameter of the loss, so the student's
# SGD (weight decay included) trains it, as the reference.
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_ctkd=dict(
            type='CTKDLoss',
            t_start=1.0,
            t_end=20.0,
            init_theta=1.0,
            lambda_max=0.0,
            lambda_min=-1.0,
            lambda_epochs=10,
            loss_weight=0.9)),
    student_loss_weight=0.1)
