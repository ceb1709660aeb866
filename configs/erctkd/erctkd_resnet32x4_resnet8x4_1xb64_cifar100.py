# ER-CTKD, ResNet32x4 -> ResNet8x4, CIFAR-100 (methods_logit.md sections 5 and 9; the
# ER-KD repository's ER-CTKD script `-r 0.1 -a 0.9`): CTKD's learned global T = 1 + 20
# sigmoid(theta), theta from 1, lambda cosine 0 -> -1 over 10 epochs, each sample's KD
# term weighted by the teacher entropy at t_H 4; KD weight 0.9, CE weight 0.1, batch 64,
# lr 0.05, 240 epochs (pair base). theta trains with the student (weight decay included).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_erctkd=dict(
            type='EntropyReweightedLoss',
            loss=dict(
                type='CTKDLoss',
                t_start=1.0,
                t_end=20.0,
                init_theta=1.0,
                lambda_max=0.0,
                lambda_min=-1.0,
                lambda_epochs=10,
                loss_weight=0.9),
            entropy_temperature=4.0)),
    student_loss_weight=0.1)
