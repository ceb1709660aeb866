# Logging switch: TensorBoard next to the local JSON scalars. Off by default. MMEngine
# refuses a key defined by two bases (default_runtime.py already sets `visualizer`),
# so a config switches it on in its body, after its own `_base_`:
#   from mmengine import Config
#   visualizer = Config.fromfile('{{ fileDirname }}/../_base_/runtime/tensorboard.py').visualizer
#   del Config
# Needs `pip install tensorboard`; events go to <work_dir>/<timestamp>/vis_data/.
# LocalVisBackend stays first: tools/analysis/ reads its scalars.json.
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
