# CTKD + logit standardisation (LS-CTKD), VGG13 -> VGG8, CIFAR-100. Sun et al., "Logit
# Standardization in Knowledge Distillation", CVPR 2024 (arXiv 2403.01427); reported
# 74.47 in sunshangquan/logit-standardization-KD@f6e5aa5:README.md (CIFAR-100 table,
# "CTKD+Ours"), run log logs/CTKD/ctkd,vgg13,vgg8,2,9.txt.
# Recipe (that commit, CTKD/: CTKD's trainer with the standardised KL):
# scripts/run_cifar_distill.sh `-r 0.1 -a 9 -b 0` (CE 0.1, KD 9), batch 64, lr 0.05,
# lambda cosine 0 -> -1 over 10 epochs; both logits standardised, (z - mean) / (1e-7 +
# std) with the unbiased std (distiller_zoo/KD.py; train_student.py l.314 picks it when
# --logit_stand is absent, as in the script); the script's --kd_T 2 is unused (the
# learned T replaces it). The rest as CTKD (configs/ctkd).
# Temperature range T = t_start + t_end sigmoid(theta): the committed defaults (1, 20)
# cannot give the logged temperatures. In all 14 logs T (logged at the last batch of
# each epoch) is 22.3-30.4 after epoch 1 and never below 2.0013 afterwards, so t_start =
# 2 (the "2" of the log names' BASE_TEMPERATURE field) and t_end > 28.4. t_end = 40 (T
# starts at 31.2) fits every log but is stated nowhere: UNVERIFIED.
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lsctkd=dict(
            type='CTKDLoss',
            t_start=2.0,
            t_end=40.0,
            init_theta=1.0,
            lambda_max=0.0,
            lambda_min=-1.0,
            lambda_epochs=10,
            loss_weight=9.0,
            logit_standardization=True)),
    student_loss_weight=0.1)
