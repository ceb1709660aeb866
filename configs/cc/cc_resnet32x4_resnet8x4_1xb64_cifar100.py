# CC (Peng et al., "Correlation Congruence for Knowledge Distillation", ICCV 2019, arXiv
# 1904.01802), ResNet32x4 -> ResNet8x4, CIFAR-100: linear embeddings (128 wide) of both
# pooled vectors, RepDistiller's correlation of neighbouring samples' embedding errors,
# weight 0.02, CE weight 1. Cited 72.97: HobbitLong/RepDistiller@b84f547:README.md (last
# epoch; the CRD paper, ICLR 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill correlation -a 0 -b 0.02`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): Correlation
# (distiller_zoo/CC.py) of LinearEmbed(feat[-1], 128) of both models (models/util.py; both
# embeddings trained, with weight decay), times 0.02, CE weight 1, no KD; batch 64, SGD
# momentum 0.9, weight decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.05
# (the bases).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_cc=dict(
            type='CCLoss',
            student_channels=256,
            teacher_channels=256,
            feat_dim=128,
            loss_weight=0.02)),
    student_loss_weight=1.0)
