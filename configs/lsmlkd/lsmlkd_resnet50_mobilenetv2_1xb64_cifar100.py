# MLKD + logit standardisation, ResNet50 -> MobileNetV2, CIFAR-100: the recipe of
# sunshangquan/logit-standardization-KD@f6e5aa5: tools/train.py --cfg
# configs/cifar100/mlkd/ResNet50_MobileNetV2.yaml --logit-stand --base-temp 2 --kd-weight
# 9; its log logs/MLKD/mlkd,res50,mv2,2,9.txt runs 480 epochs. Paper: Sun, Ren, Li, Wang,
# Cao, "Logit Standardization in Knowledge Distillation", CVPR 2024, arXiv 2403.01427. The
# cited 71.19 is the README's MLKD+Ours row
# (sunshangquan/logit-standardization-KD@f6e5aa5:README.md; the README says its values may
# differ from the logs by averaging and randomness).
# - Loss: mdistiller/distillers/MLKD.py of that repository, MLKD
#   (Jin-Ying/Multi-Level-Logit-Distillation@5ee473f) with standardised logits in the
#   instance-level KD terms (CC / BC and the masks on the raw logits); base temperature 2
#   = T_0, KD weight 9, CE 0.1 on each view (train.py sets KD.TEMPERATURE and
#   KD.LOSS.KD_WEIGHT).
# - Data: a weak and a strong view (../_base_/datasets/cifar100_bs64_two_views.py; the
#   repository's mdistiller/dataset/cifar100.py is MLKD's).
# - Schedule (the yaml): SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 64, 480
#   epochs, x0.1 at 150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base names the converted file).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64_two_views.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lsmlkd=dict(
            type='MLKDLoss', temperature=2.0, loss_weight=9.0,
            logit_standardization=True),
        # The original's CE on the strong view (the weak view's is the student head's).
        loss_cls_strong=dict(type='StrongViewCELoss', loss_weight=0.1)),
    student_loss_weight=0.1)

optim_wrapper = dict(optimizer=dict(lr=0.01))
train_cfg = dict(max_epochs=480)
