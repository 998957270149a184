#!/usr/bin/env python3
"""Exports the full-size torchvision 0.14 CNNs to ONNX for the real-network benchmarks
(bench/zoo.mjs and bench/onnx-load.mjs): one model of every convolutional classification family and
the three segmentation models, random weights (seed 0, batch norms given non-trivial statistics),
eval mode, torch.onnx.export at opset 13 (or --opset), input [1, 3, 224, 224] (Inception-v3:
299x299) with a dynamic batch axis.

Next to each <name>.onnx it writes <name>.out.f32: PyTorch's output (little-endian float32) for the
input x[i] = 2 sin(0.731 i + 0.1) over the flat index of the batch-1 input, and manifest.json lists
every model with its input shape, output shape and file size. The vision transformers (ViT, Swin)
are not CNNs and are not exported.

`--all` exports every classification CNN torchvision lists (`models.list_models`: every width and depth
of each family, 67 models) instead of one per family. It leaves out the transformers (ViT, Swin,
MaxViT) and RegNetY-128GF, whose 2.6 GB of weights exceed the 2 GB a single protobuf file can hold.

Usage: /usr/bin/python3 bench/export-zoo.py [--out bench/out/zoo] [--opset 13] [--only resnet18,vgg11] [--all]
(Debian's python3-torch and python3-torchvision). The files are large (VGG-11 is 507 MB) and are
not committed.
"""
import argparse
import json
import os
import sys
import time
import warnings

import torch
import torch.nn as nn
from torchvision import models
from torchvision.models import segmentation

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "onnx"))
from gen_onnx_zoo import SegmentationOut  # noqa: E402  (the test fixtures' wrapper of a segmentation model's 'out' map)

warnings.filterwarnings("ignore")

CLASSIFICATION = [
    "alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet",
    "inception_v3", "mnasnet1_0", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
    "regnet_x_400mf", "regnet_y_400mf", "resnet18", "resnet50", "resnext50_32x4d", "shufflenet_v2_x1_0",
    "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "wide_resnet50_2",
]
SEGMENTATION = ["fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]
NOT_CNN = ("vit_", "swin_", "maxvit_")
OVER_PROTOBUF_LIMIT = ["regnet_y_128gf"]


def every_classification_cnn():
    return [n for n in models.list_models(module=models) if not n.startswith(NOT_CNN) and n not in OVER_PROTOBUF_LIMIT]


def randomize_bn(model, gen):
    """Running statistics and affines away from 0 / 1, as trained networks have them."""
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            c = mod.num_features
            mod.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
            mod.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            mod.weight.data.copy_(torch.randn(c, generator=gen) * 0.1 + 1)
            mod.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)


def build(name):
    torch.manual_seed(0)
    if name in SEGMENTATION:
        model = SegmentationOut(getattr(segmentation, name)(weights=None, weights_backbone=None, aux_loss=None))
    elif name in ("googlenet", "inception_v3"):
        model = getattr(models, name)(weights=None, aux_logits=False, init_weights=True)
    else:
        model = getattr(models, name)(weights=None)
    randomize_bn(model, torch.Generator().manual_seed(1))
    return model.eval()


def wave_input(shape):
    i = torch.arange(torch.Size(shape).numel(), dtype=torch.float64)
    return (2 * torch.sin(0.731 * i + 0.1)).float().reshape(shape)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "zoo"))
    parser.add_argument("--opset", type=int, default=13)
    parser.add_argument("--only", default="")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    names = (every_classification_cnn() if args.all else CLASSIFICATION) + SEGMENTATION
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {}
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in names:
        t0 = time.time()
        model = build(name)
        size = 299 if name == "inception_v3" else 224
        x = wave_input([1, 3, size, size])
        path = os.path.join(args.out, name + ".onnx")
        with torch.no_grad():
            y = model(x)
            torch.onnx.export(model, x, path, opset_version=args.opset, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, do_constant_folding=True)
        y.numpy().astype("<f4").tofile(os.path.join(args.out, name + ".out.f32"))
        manifest[name] = {
            "file": name + ".onnx", "opset": args.opset, "input": list(x.shape), "output": list(y.shape),
            "bytes": os.path.getsize(path), "task": "segmentation" if name in SEGMENTATION else "classification",
            "maxAbsOutput": float(y.abs().max()),
        }
        json.dump(manifest, open(manifest_path, "w"), indent=1, sort_keys=True)
        print(f"{name}: {os.path.getsize(path) / 1e6:.1f} MB, output {list(y.shape)}, {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
