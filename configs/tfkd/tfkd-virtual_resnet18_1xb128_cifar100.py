# Tf-KD with a virtual teacher (Tf-KD_reg; Yuan, Tay, Li, Wang, Feng, "Revisiting
# Knowledge Distillation via Label Smoothing Regularization", CVPR 2020, arXiv
# 1909.11723), ResNet18, CIFAR-100, no teacher network: KD from the hand-designed
# distribution (correct class 0.99) softened at T 20, weight reg_alpha x multiplier = 0.1
# x 100, CE weight 1 - reg_alpha = 0.90. Cited 77.36:
# yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:figures/Reg-Normal-LSR.png (the
# README's Tf-KD_reg table, section 4.2; the paper's), run with
# yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:main.py --regularization
# --model_dir experiments/base_experiments/base_resnet18/ (params.json: reg_alpha 0.1,
# reg_temperature 20, multiplier 100, learning_rate 0.1, batch_size 128, num_epochs 200):
# loss_kd_regularization of my_loss_function.py (correct_prob 0.99; nn.KLDivLoss() mean
# over B x C against the student's softmax at temperature 1, times the multiplier), SGD
# momentum 0.9, weight decay 5e-4, lr 0.1 x batch / 128, one warm-up epoch, x0.2 at
# 60/120/160 (the schedule base); Tf-KD's data pipeline with RandomRotation(15) (the data
# base).
_base_ = [
    '../_base_/datasets/cifar100_bs128_rotation.py',
    '../_base_/schedules/cifar100_sgd_200e_warmup.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClassificationDistiller',
    student='{{ fileDirname }}/../_base_/models/tfkd/ResNet18.py',
    teacher=None,
    distill_losses=dict(
        loss_tfkd=dict(
            type='TfKDVirtualLoss', correct_prob=0.99, temperature=20.0,
            loss_weight=10.0)),
    student_loss_weight=0.9)
