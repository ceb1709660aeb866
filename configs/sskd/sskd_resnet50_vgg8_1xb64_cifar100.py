# SSKD (Xu, Liu, Li, Loy, "Knowledge Distillation Meets Self-Supervision", ECCV 2020,
# arXiv 2006.07114), ResNet50 -> VGG8, CIFAR-100: every image with its 90/180/270 degree
# rotations in one batch (cifar100_bs64_sskd.py), self-supervision heads on the pooled
# vectors (512 student, 2048 teacher).
# Cited 75.76: xuguodong03/SSKD@661b972:README.md (CIFAR-100 table, SSKD row; unverified
# whether best or last epoch), trained with SSKD's own teachers, run with
# xuguodong03/SSKD@661b972:student.py `--s-arch ... --lr 0.05` (command.sh), its
# defaults: CE/KD/TF/SS weights 0.1/0.9/2.7/10, T 4/4/0.5, keep ratios 1.0/0.75.
# Stage 1, "teacher_ss_head" (student.py L96-203, --t-epoch 60): the teacher's head
# alone trains on the rotation-matching cross-entropy with its own SGD (lr 0.05,
# momentum 0.9, weight decay 5e-4, x0.1 after 30 and 45 of its epochs); the teacher and
# the student are in eval(), the student does not train.
# Main stage (student.py L211-353): SGD over the student and its head (lr 0.05, momentum
# 0.9, weight decay 5e-4), batch 64 images (x 4 views), 240 epochs, lr x0.1 at epochs
# 150/180/210 of them (MultiStepLR): here epochs 60-299 (0-based) of 300, milestones
# 210/240/270. The student's cross-entropy is in the SSKD term (upright images only):
# student_loss_weight=0.
_base_ = [
    '../_base_/pairs/resnet50_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64_sskd.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_sskd=dict(type='SSKDLoss', student_channels=512, teacher_channels=2048)),
    student_loss_weight=0.0)

# 60 epochs of the teacher's head, then SSKD's 240 (milestones shifted by 60).
train_cfg = dict(max_epochs=300)
param_scheduler = dict(milestones=[210, 240, 270])
custom_hooks = [
    dict(
        type='TrainingStageHook',
        stages=[
            dict(
                name='teacher_ss_head',
                epochs=60,
                loss_attrs=dict(loss_sskd=dict(phase='teacher_head')),
                trainable=['distill_losses.loss_sskd.teacher_head'],
                eval=['student'],
                optim_wrapper=dict(
                    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)),
                param_scheduler=dict(type='MultiStepLR', milestones=[30, 45], gamma=0.1)),
        ])
]
# The stages leave parameters without gradient (DDP must know).
find_unused_parameters = True
