# Tf-KD with a self-teacher (Yuan, Tay, Li, Wang, Feng, "Revisiting Knowledge Distillation
# via Label Smoothing Regularization", CVPR 2020, arXiv 1909.11723), ResNet18 -> ResNet18,
# CIFAR-100: KD from a trained copy of the student, T 6, KD weight alpha x multiplier =
# 0.95 x 50, CE weight 1 - alpha = 0.05. Cited 77.10:
# yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:figures/Tf-self.png (the README's
# Tf-KD_self table, section 4.1; the paper's), run with
# yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:main.py --self_training
# --model_dir experiments/kd_experiments/resnet18_distill/resnet18_self_teacher/
# (params.json: alpha 0.95, temperature 6, multiplier 50, learning_rate 0.1, batch_size
# 128, num_epochs 200): loss_kd_self of my_loss_function.py (nn.KLDivLoss() mean over B x
# C, times T^2 and the multiplier), SGD momentum 0.9, weight decay 5e-4, lr 0.1 x batch /
# 128, one warm-up epoch, x0.2 at 60/120/160 (the schedule base); Tf-KD's data pipeline
# with RandomRotation(15) (the data base); the teacher in eval mode.
_base_ = [
    '../_base_/pairs/tfkd_resnet18_resnet18_cifar100.py',
    '../_base_/datasets/cifar100_bs128_rotation.py',
    '../_base_/schedules/cifar100_sgd_200e_warmup.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_tfkd=dict(type='TfKDSelfLoss', temperature=6.0, loss_weight=47.5)),
    student_loss_weight=0.05)
