# Logging switch: Weights & Biases next to the local JSON scalars. Off by default. MMEngine
# refuses a key defined by two bases (default_runtime.py already sets `visualizer`),
# so a config switches it on in its body, after its own `_base_`:
#   from mmengine import Config
#   visualizer = Config.fromfile('{{ fileDirname }}/../_base_/runtime/wandb.py').visualizer
#   del Config
# Needs `pip install wandb` and `wandb login` (or WANDB_MODE=offline). Set the project with
#   --cfg-options "visualizer.vis_backends.1.init_kwargs.project=NAME"
# LocalVisBackend stays first: tools/analysis/ reads its scalars.json.
vis_backends = [dict(type='LocalVisBackend'),
                dict(type='WandbVisBackend', init_kwargs=dict(project='kd_plugin'))]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
