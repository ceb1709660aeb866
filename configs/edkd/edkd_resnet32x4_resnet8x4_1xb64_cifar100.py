# EDKD, ResNet32x4 -> ResNet8x4, CIFAR-100: the recipe of wencchang/EDKD@47e04b5:
# tools/train.py --cfg configs/cifar100/edkd/res32x4_res8x4.yaml. The cited 76.28 is the
# EDKD row of wencchang/EDKD@47e04b5:README.md. No paper id is known.
# - Loss: mdistiller/distillers/EDKD.py (edkd_loss): alpha 1 and beta 8 hard-coded (the
#   cfg BETA is ignored), NCKD weight beta exp(-(1 - max b_t)); T 4, CE 1, warm-up 20
#   epochs (CFG.EDKD). match_reference=True: the dynamic beta acts through its batch mean,
#   as the code.
# - Schedule (the yaml): SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64, 240
#   epochs, x0.1 at 150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base names the converted file).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_edkd=dict(
            type='EDKDLoss',
            alpha=1.0,
            beta=8.0,
            temperature=4.0,
            warmup_epochs=20,
            loss_weight=1.0,
            match_reference=True)),
    student_loss_weight=1.0)
