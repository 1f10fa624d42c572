#!/usr/bin/python3
"""PyTorch eager peer for the CT-SAM3D (restv2_tiny) forward pass.

A re-implementation written from ../shared/docs/ct-sam3d.md (the official code cannot be fetched here). It follows
the official modules' computation path rather than a faster equivalent: separate gamma/beta convolutions in every
SPADE, F.interpolate(trilinear, align_corners=False) for the prompt down-sampling and the attention identity path,
nn.BatchNorm3d / nn.LayerNorm / nn.InstanceNorm3d modules. Module and parameter names equal the checkpoint keys
(Appendix A), so the official {'model_state_dict': ...} loads with strict=True.

CLI:
  --check-fixture DIR              load DIR/checkpoint.pth, replay fixture.json's 4 clicks and the CPP heatmap,
                                   print max abs errors and mask flips (JSON)
  --bench-tiny [--repeats N]       time encoder per 64^3 patch and decoder per click, restv2_tiny widths, seeded
                                   random weights, 2 threads (JSON with /proc/loadavg and peak RSS)
"""
import argparse
import json
import os
import platform
import resource
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TINY = {"image_size": 64, "embed_dims": [96, 192, 384, 768], "num_heads": [1, 2, 4, 8], "depths": [1, 2, 6, 2],
        "sr_ratios": [8, 4, 2, 1], "out_chans": 256, "transformer_dim": 256, "spade_nhidden": 128,
        "prompt_embed_dim": 256, "iou_head_depth": 3, "iou_head_hidden_dim": 256, "num_multimask_outputs": 1,
        "cpp_channels": [16, 32, 64, 128, 256]}


# ------------------------------------------------------------------------------------------------------------------
# Image encoder (spec section 2)
# ------------------------------------------------------------------------------------------------------------------

class PA(nn.Module):
    """Pixel attention: x * sigmoid(depthwise 3^3 conv(x))."""

    def __init__(self, dim):
        super().__init__()
        self.pa_conv = nn.Conv3d(dim, dim, 3, padding=1, groups=dim)

    def forward(self, x):
        return x * torch.sigmoid(self.pa_conv(x))


class ConvStem(nn.Module):
    def __init__(self, dim):
        super().__init__()
        half = dim // 2
        self.proj = nn.Sequential(
            nn.Conv3d(1, half, 3, 2, 1, bias=False), nn.BatchNorm3d(half), nn.ReLU(inplace=True),
            nn.Conv3d(half, dim, 3, 2, 1, bias=False), nn.BatchNorm3d(dim), nn.ReLU(inplace=True),
            nn.Conv3d(dim, dim, 1))
        self.pos = PA(dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        x = self.pos(self.proj(x))
        d = x.shape[-1]
        return self.norm(x.flatten(2).transpose(1, 2)), d


class PatchEmbed(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.proj = nn.Conv3d(cin, cout, 3, 2, 1)
        self.pos = PA(cout)
        self.norm = nn.LayerNorm(cout, eps=1e-6)

    def forward(self, volume):
        x = self.pos(self.proj(volume))
        d = x.shape[-1]
        return self.norm(x.flatten(2).transpose(1, 2)), d


class Attention(nn.Module):
    def __init__(self, dim, heads, sr):
        super().__init__()
        self.heads, self.sr_ratio = heads, sr
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        if sr > 1:
            self.sr = nn.Conv3d(dim, dim, sr + 1, sr, sr // 2, groups=dim)
            self.sr_norm = nn.LayerNorm(dim, eps=1e-6)
        self.up_norm = nn.LayerNorm(dim, eps=1e-6)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, d):
        b, n, c = x.shape
        h = self.heads
        q = self.q(x).reshape(b, n, h, c // h).permute(0, 2, 1, 3)
        if self.sr_ratio > 1:
            y = self.sr(x.transpose(1, 2).reshape(b, c, d, d, d))
            kd = y.shape[-1]
            y = self.sr_norm(y.flatten(2).transpose(1, 2))
        else:
            y, kd = x, d
        kv = self.kv(y).reshape(b, -1, 2, h, c // h).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, n, c)
        identity = v.transpose(-1, -2).reshape(b, c, kd, kd, kd)   # head-major channels, keys A0-major
        identity = F.interpolate(identity, size=(d, d, d), mode="trilinear", align_corners=False)
        identity = self.up_norm(identity.flatten(2).transpose(1, 2))
        return self.proj(out + identity)


class Mlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, sr):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads, sr)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim)

    def forward(self, x, d):
        x = x + self.attn(self.norm1(x), d)
        return x + self.mlp(self.norm2(x))


class ResTV2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dims, out = cfg["embed_dims"], cfg["out_chans"]
        mappers = [out // 2, out // 2, out // 2, out]
        self.stem = ConvStem(dims[0])
        for k in range(2, 5):
            setattr(self, f"patch_{k}", PatchEmbed(dims[k - 2], dims[k - 1]))
        for s in range(4):
            setattr(self, f"stage{s + 1}", nn.ModuleList(
                [Block(dims[s], cfg["num_heads"][s], cfg["sr_ratios"][s]) for _ in range(cfg["depths"][s])]))
        for s in range(4):
            setattr(self, f"channel_mapper{s + 1}", nn.Conv3d(dims[s], mappers[s], 1))

    def forward(self, image):
        x, d = self.stem(image)
        stem = x
        features = []
        volume = None
        for s in range(4):
            if s > 0:
                x, d = getattr(self, f"patch_{s + 1}")(volume)
            for blk in getattr(self, f"stage{s + 1}"):
                x = blk(x, d)
            volume = x.transpose(1, 2).reshape(x.shape[0], -1, d, d, d)
            features.append(getattr(self, f"channel_mapper{s + 1}")(volume))
        return features, stem


# ------------------------------------------------------------------------------------------------------------------
# Prompts (section 3) and decoder (section 4)
# ------------------------------------------------------------------------------------------------------------------

class PositionEmbeddingRandom(nn.Module):
    def __init__(self, half):
        super().__init__()
        self.register_buffer("positional_encoding_gaussian_matrix", torch.randn(3, half))


class PromptEncoderClickmap(nn.Module):
    """No learned weights: rasterises clicks; the saved PE matrix is unused."""

    def __init__(self, embed_dim):
        super().__init__()
        self.pe_layer = PositionEmbeddingRandom(embed_dim // 2)
        r = np.arange(-8, 9, dtype=np.float32)
        kernel = np.exp(-(r[:, None, None] ** 2 + r[None, :, None] ** 2 + r[None, None, :] ** 2) / np.float32(8)).astype(np.float32)
        kernel[kernel < np.finfo(np.float32).eps * kernel.max()] = 0
        self.kernel = kernel

    def click_maps(self, points_xyz, labels, size=64):
        maps = np.zeros((2, size, size, size), np.float32)
        for (x, y, z), label in zip(points_xyz, labels):
            if label == -1:
                continue
            c = [int(z), int(y), int(x)]
            dst = tuple(slice(ci - min(ci, 8), ci + min(size - ci, 9)) for ci in c)
            src = tuple(slice(8 - min(ci, 8), 8 + min(size - ci, 9)) for ci in c)
            maps[0 if label == 1 else 1][dst] = self.kernel[src]      # assigned: the overwrite quirk
        for m in maps:                                                   # min-max per non-empty map (a no-op inside the patch)
            if m.sum() != 0:
                m -= m.min()
                m /= m.max()
        return maps


class SPADE(nn.Module):
    def __init__(self, channels, hidden):
        super().__init__()
        self.param_free_norm = nn.InstanceNorm3d(channels, affine=False)
        self.mlp_shared = nn.Sequential(nn.Conv3d(3, hidden, 3, padding=1), nn.ReLU())
        self.mlp_gamma = nn.Conv3d(hidden, channels, 3, padding=1)
        self.mlp_beta = nn.Conv3d(hidden, channels, 3, padding=1)

    def forward(self, x, segmap):
        normalized = self.param_free_norm(x)
        segmap = F.interpolate(segmap, size=x.shape[2:], mode="trilinear", align_corners=False)
        a = self.mlp_shared(segmap)
        return normalized * (1 + self.mlp_gamma(a)) + self.mlp_beta(a)


class SPADEResnetBlock(nn.Module):
    def __init__(self, channels, hidden):
        super().__init__()
        self.conv_0 = nn.Conv3d(channels, channels, 3, padding=1)
        self.conv_1 = nn.Conv3d(channels, channels, 3, padding=1)
        self.norm_0 = SPADE(channels, hidden)
        self.norm_1 = SPADE(channels, hidden)

    def forward(self, x, seg):
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, seg), 2e-1))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, seg), 2e-1))
        return x + dx


class LayerNorm3d(nn.Module):
    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None, None] * x + self.bias[:, None, None, None]


class CNA(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.cna = nn.Sequential(nn.ConvTranspose3d(cin, cout, 2, 2), LayerNorm3d(cout), nn.GELU())

    def forward(self, x):
        return self.cna(x)


class MLP(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == len(self.layers) - 1 else F.relu(layer(x))
        return x


class MaskDecoderClickmap(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        t, h = cfg["transformer_dim"], cfg["spade_nhidden"]
        outs = cfg["num_multimask_outputs"] + 1
        for i, (a, b) in enumerate([(t, t // 2)] * 4 + [(t // 2, t // 4)], 1):
            setattr(self, f"upscale{i}", CNA(a, b))
        for i, w in enumerate([t, t, t, t, t // 2], 1):
            setattr(self, f"spade{i}", SPADEResnetBlock(w, h))
        self.mask_prediction_head = nn.Sequential(nn.Conv3d(t // 4, outs, 3, padding=1))
        self.iou_prediction_head = MLP([t // 4] + [cfg["iou_head_hidden_dim"]] * (cfg["iou_head_depth"] - 1) + [outs])

    def forward(self, features, prompt, debug=None):
        x = features[3]
        for i in range(1, 6):
            x = getattr(self, f"spade{i}")(x, prompt)
            if debug is not None:
                debug[f"spade{i}"] = x
            x = getattr(self, f"upscale{i}")(x)
            if debug is not None and i <= 4:
                debug[f"upscale{i}"] = x
            if i <= 3:
                x = torch.cat([x, features[3 - i]], dim=1)
        prob = torch.sigmoid(self.mask_prediction_head(x))
        iou = self.iou_prediction_head(x.mean(dim=(2, 3, 4)))
        return prob[:, 0:1], iou[:, 0:1]


# ------------------------------------------------------------------------------------------------------------------
# Cross-patch network: MONAI 1.3.2 UNet (section 5, Appendix B), with MONAI's module names
# ------------------------------------------------------------------------------------------------------------------

def adn(channels):
    return nn.Sequential(OrderedDict([("N", nn.InstanceNorm3d(channels, affine=False)), ("A", nn.PReLU())]))


class Convolution(nn.Sequential):
    def __init__(self, cin, cout, stride, transposed=False, conv_only=False):
        super().__init__()
        if transposed:
            self.add_module("conv", nn.ConvTranspose3d(cin, cout, 3, stride, 1, output_padding=stride - 1))
        else:
            self.add_module("conv", nn.Conv3d(cin, cout, 3, stride, 1))
        if not conv_only:
            self.add_module("adn", adn(cout))


class ResidualUnit(nn.Module):
    def __init__(self, cin, cout, stride, units, last_conv_only=False):
        super().__init__()
        self.conv = nn.Sequential()
        c = cin
        for u in range(units):
            self.conv.add_module(f"unit{u}", Convolution(c, cout, stride if u == 0 else 1,
                                                         conv_only=last_conv_only and u == units - 1))
            c = cout
        if stride != 1:
            self.residual = nn.Conv3d(cin, cout, 3, stride, 1)
        elif cin != cout:
            self.residual = nn.Conv3d(cin, cout, 1, 1, 0)
        else:
            self.residual = nn.Identity()

    def forward(self, x):
        return self.conv(x) + self.residual(x)


class SkipConnection(nn.Module):
    def __init__(self, submodule):
        super().__init__()
        self.submodule = submodule

    def forward(self, x):
        return torch.cat([x, self.submodule(x)], dim=1)


def unet_block(cin, cout, ch, is_top):
    c = ch[0]
    if len(ch) > 2:
        sub, up_in = unet_block(c, c, ch[1:], False), 2 * c
    else:
        sub, up_in = ResidualUnit(c, ch[1], 1, 2), c + ch[1]
    up = nn.Sequential(Convolution(up_in, cout, 2, transposed=True), ResidualUnit(cout, cout, 1, 1, last_conv_only=is_top))
    return nn.Sequential(ResidualUnit(cin, c, 2, 2), SkipConnection(sub), up)


class UNet(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.model = unet_block(3, 1, channels, True)

    def forward(self, x):
        return self.model(x)


class Sam(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.image_encoder = ResTV2(cfg)
        self.prompt_encoder = PromptEncoderClickmap(cfg["prompt_embed_dim"])
        self.mask_decoder = MaskDecoderClickmap(cfg)
        self.cpp_predictor = UNet(cfg["cpp_channels"])

    def decode(self, features, points_xyz, labels, previous_prob, debug=None):
        maps = self.prompt_encoder.click_maps(points_xyz, labels)
        mask = previous_prob if previous_prob is not None else torch.zeros(1, 1, 64, 64, 64)
        prompt = torch.cat([mask, torch.from_numpy(maps)[None]], dim=1)
        prob, iou = self.mask_decoder(features, prompt, debug)
        return prob, iou, maps


# ------------------------------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------------------------------

def check_fixture(fixture_dir):
    torch.set_num_threads(2)
    with open(os.path.join(fixture_dir, "fixture.json")) as f:
        fixture = json.load(f)
    model = Sam(fixture["config"]).eval()
    state = torch.load(os.path.join(fixture_dir, "checkpoint.pth"), map_location="cpu")["model_state_dict"]
    model.load_state_dict(state, strict=True)
    load = lambda name: np.load(os.path.join(fixture_dir, name))
    errors = {}

    def err(name, ours):
        errors[name] = float(np.abs(ours.detach().numpy().reshape(-1) - load(name).reshape(-1)).max())

    with torch.no_grad():
        image = torch.from_numpy(load("input_patch.npy"))[None, None]
        features, stem = model.image_encoder(image)
        for k in range(4):
            err(f"enc_feat{k}.npy", features[k])
        err("dbg_stem_out.npy", stem.transpose(1, 2))   # tokens (1, N, C) → C × 16³
        previous = None
        flips = []
        for i, click in enumerate(fixture["clicks"], 1):
            debug = {} if i == 1 else None
            prob, iou, maps = model.decode(features, click["points_xyz"], click["labels"], previous, debug)
            if debug is not None:
                for name, value in debug.items():
                    err(f"dbg_click1_{name}.npy", value)
            err(f"click{i}_prob.npy", prob)
            err(f"click{i}_iou.npy", iou)
            err(f"click{i}_clickmap.npy", torch.from_numpy(maps))
            expected_prob = load(f"click{i}_prob.npy")
            differ = (prob[0, 0].numpy() > 0.5) != (load(f"click{i}_mask.npy") != 0)
            flips.append({"flips": int(differ.sum()), "outside_band": int((differ & (np.abs(expected_prob - 0.5) >= 1e-4)).sum())})
            previous = prob
        cpp_in = torch.cat([image, (previous > 0.5).float(), torch.from_numpy(load("cpp_neighbor_patch.npy"))[None, None]], dim=1)
        err("cpp_heatmap.npy", model.cpp_predictor(cpp_in)[0, 0])
    return {"max_abs": errors, "masks": flips}


def read_loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def bench_tiny(repeats, seed, warmup):
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    load_start = read_loadavg()
    model = Sam(TINY).eval()
    rng = np.random.default_rng(seed)
    image = torch.from_numpy(rng.random((1, 1, 64, 64, 64), dtype=np.float32))
    clicks = [([32, 32, 32], 1), ([44, 20, 28], 0), ([36, 35, 30], 1)]
    encoder, decoder, decoder_cpu = [], [], []
    with torch.no_grad():
        for r in range(warmup + repeats):
            t = time.perf_counter()
            features, _ = model.image_encoder(image)
            if r >= warmup:
                encoder.append(time.perf_counter() - t)
        for r in range(warmup + 3 * repeats):
            n = r % 3 + 1
            previous = None if n == 1 else prob
            t, cpu0 = time.perf_counter(), time.process_time()
            prob, _, _ = model.decode(features, [c[0] for c in clicks[:n]], [c[1] for c in clicks[:n]], previous)
            (prob > 0.5).to(torch.uint8)
            if r >= warmup:
                decoder.append(time.perf_counter() - t)
                decoder_cpu.append(time.process_time() - cpu0)
            if not torch.isfinite(prob).all():
                raise RuntimeError("non-finite probabilities; the random weights are broken")
    return {
        "peer": "ct_sam3d_torch.py (PyTorch %s eager, fp32, no_grad)" % torch.__version__,
        "threads": torch.get_num_threads(), "cpu": cpu_model(),
        "encoder_ms_median": 1000 * float(np.median(encoder)), "encoder_ms": [round(1000 * v, 1) for v in encoder],
        "decoder_ms_median": 1000 * float(np.median(decoder)), "decoder_ms": [round(1000 * v, 1) for v in decoder],
        "decoder_cpu_ms_median": 1000 * float(np.median(decoder_cpu)),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "loadavg_start": load_start, "loadavg_end": read_loadavg(),
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check-fixture", metavar="DIR")
    mode.add_argument("--bench-tiny", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs after the warm-up (bench)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed warm-up runs (bench)")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    out = check_fixture(args.check_fixture) if args.check_fixture else bench_tiny(args.repeats, args.seed, args.warmup)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
