"""Check, before training, that a teacher-output cache was built for the training set."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from kd_plugin.models.distillers.teacher_sources import CachedTeacher


@HOOKS.register_module()
class TeacherCacheCheckHook(Hook):
    """Compare the runner's training set with what the model's teacher cache was
    built for, once, in ``before_train``.

    A cached distiller (``teacher_cache``) checks the teacher when it is built but
    cannot see the dataset; this hook hands it the runner's training set
    (:meth:`~kd_plugin.models.distillers.CachedTeacher.check_dataset`: class, length,
    data list in order, pipeline, recorded crop). A cache built for another training
    set (another seed, another split, other samples or their order) is refused naming
    what differs and the rebuild command; without this hook the first step refuses to
    run. Nothing happens for a model without a cache, and nothing is checked per step.

    Config: ``default_hooks = dict(teacher_cache_check=dict(
    type='TeacherCacheCheckHook'))``.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        source = getattr(model, 'teacher_source', None)
        if isinstance(source, CachedTeacher):
            source.check_dataset(runner.train_dataloader.dataset)
