# ResNet-34 of ./resnet34.py with TapResNet, which exposes each block's pre-ReLU output
# (`layerX.Y.relu_out:input`) for feature losses that read pre-activations (OFD,
# ReviewKD); same weights and outputs as ResNet.
_base_ = ['./resnet34.py']
model = dict(backbone=dict(type='TapResNet'))
