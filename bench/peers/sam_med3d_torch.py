#!/usr/bin/python3
"""PyTorch eager peer for the SAM-Med3D (vit_b_ori / turbo) forward pass.

A re-implementation written from ../shared/docs/sam-med3d.md that follows the official module's
computation path (MedIM `sam_med3d.py`): windowed blocks pad the 8^3 token grid to one 14^3 window and
attend over all 2,744 tokens, and the decomposed relative-position term is broadcast into the attention
tensor exactly as the released `add_decomposed_rel_pos` does (spec section 2.2, including its misplaced
axes). Module and parameter names match the checkpoint keys, so the official state_dict loads strictly.

CLI:
  --check-fixture DIR           load DIR/checkpoint.pth, replay fixture.json, print max abs errors (JSON)
  --bench-turbo [--repeats N]   time the turbo configuration with seeded random weights (JSON)
  --turbo-parity OUT            write a seeded turbo checkpoint (large relative-position tables), a crop, 3 clicks,
                                and this module's outputs in float32 (OUT/fp32) and float64 (OUT/fp64)
  --compare OUT OURS            max abs differences of OURS (a model-run output folder) and of OUT/fp32 against OUT/fp64
"""
import argparse
import json
import math
import os
import platform
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TURBO_CONFIG = {
    "image_size": 128, "patch_size": 16, "window_size": 14, "embed_dim": 768, "depth": 12,
    "num_heads": 12, "global_attn_indexes": [2, 5, 8, 11], "prompt_embed_dim": 384,
    "mask_in_chans": 16, "decoder_depth": 2, "decoder_heads": 8, "decoder_mlp_dim": 2048,
    "num_multimask_outputs": 3, "iou_head_depth": 3, "iou_head_hidden_dim": 256,
}


# ----------------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------------

class LayerNorm3d(nn.Module):
    """Channels-first LayerNorm over C for (B, C, D, H, W), population variance."""

    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight[:, None, None, None] * x + self.bias[:, None, None, None]


class MLPBlock(nn.Module):
    def __init__(self, dim, hidden, act):
        super().__init__()
        self.lin1 = nn.Linear(dim, hidden)
        self.lin2 = nn.Linear(hidden, dim)
        self.act = act()

    def forward(self, x):
        return self.lin2(self.act(self.lin1(x)))


# ----------------------------------------------------------------------------------------------------
# Image encoder
# ----------------------------------------------------------------------------------------------------

def get_rel_pos(q_size, k_size, rel_pos):
    """Rows of the table for every (query, key) coordinate pair along one axis."""
    max_rel_dist = int(2 * max(q_size, k_size) - 1)
    if rel_pos.shape[0] != max_rel_dist:
        resized = F.interpolate(rel_pos.reshape(1, rel_pos.shape[0], -1).permute(0, 2, 1),
                                size=max_rel_dist, mode="linear")
        rel_pos = resized.reshape(-1, max_rel_dist).permute(1, 0)
    q_coords = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
    k_coords = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
    relative = (q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)
    return rel_pos[relative.long()]


def add_decomposed_rel_pos(attn, q, rel_pos_d, rel_pos_h, rel_pos_w, q_size, k_size):
    """The released broadcast: each per-axis term's key index lands on the kw axis (spec 2.2 quirk)."""
    q_d, q_h, q_w = q_size
    k_d, k_h, k_w = k_size
    r_d = get_rel_pos(q_d, k_d, rel_pos_d)
    r_h = get_rel_pos(q_h, k_h, rel_pos_h)
    r_w = get_rel_pos(q_w, k_w, rel_pos_w)
    b, _, dim = q.shape
    r_q = q.reshape(b, q_d, q_h, q_w, dim)
    rel_d = torch.einsum("bdhwc,dkc->bdhwk", r_q, r_d)
    rel_h = torch.einsum("bdhwc,hkc->bdhwk", r_q, r_h)
    rel_w = torch.einsum("bdhwc,wkc->bdhwk", r_q, r_w)
    attn = (attn.view(b, q_d, q_h, q_w, k_d, k_h, k_w)
            + rel_d[:, :, :, :, None, None]
            + rel_h[:, :, :, None, :, None]
            + rel_w[:, :, :, None, None, :])
    return attn.view(b, q_d * q_h * q_w, k_d * k_h * k_w)


class EncoderAttention(nn.Module):
    def __init__(self, dim, num_heads, rel_pos_size):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)
        self.rel_pos_d = nn.Parameter(torch.zeros(2 * rel_pos_size - 1, head_dim))
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * rel_pos_size - 1, head_dim))
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * rel_pos_size - 1, head_dim))

    def forward(self, x):
        b, d, h, w, _ = x.shape
        n = d * h * w
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.reshape(3, b * self.num_heads, n, -1).unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = add_decomposed_rel_pos(attn, q, self.rel_pos_d, self.rel_pos_h, self.rel_pos_w,
                                      (d, h, w), (d, h, w))
        attn = attn.softmax(dim=-1)
        x = (attn @ v).view(b, self.num_heads, d, h, w, -1).permute(0, 2, 3, 4, 1, 5).reshape(b, d, h, w, -1)
        return self.proj(x)


def window_partition3d(x, window):
    """Zero-pad at the high end of each axis to a multiple of the window, split into windows."""
    b, d, h, w, c = x.shape
    pad_d, pad_h, pad_w = (-d) % window, (-h) % window, (-w) % window
    if pad_d or pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h, 0, pad_d))
    dp, hp, wp = d + pad_d, h + pad_h, w + pad_w
    x = x.view(b, dp // window, window, hp // window, window, wp // window, window, c)
    windows = x.permute(0, 1, 3, 5, 2, 4, 6, 7).contiguous().view(-1, window, window, window, c)
    return windows, (dp, hp, wp)


def window_unpartition3d(windows, window, padded, original):
    dp, hp, wp = padded
    d, h, w = original
    b = windows.shape[0] // ((dp // window) * (hp // window) * (wp // window))
    x = windows.view(b, dp // window, hp // window, wp // window, window, window, window, -1)
    x = x.permute(0, 1, 4, 2, 5, 3, 6, 7).contiguous().view(b, dp, hp, wp, -1)
    return x[:, :d, :h, :w, :].contiguous()


class EncoderBlock(nn.Module):
    def __init__(self, dim, num_heads, window_size, grid_size):
        super().__init__()
        self.window_size = window_size
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = EncoderAttention(dim, num_heads, window_size if window_size > 0 else grid_size)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = MLPBlock(dim, dim * 4, nn.GELU)

    def forward(self, x):
        shortcut = x
        x = self.norm1(x)
        if self.window_size > 0:
            original = x.shape[1:4]
            x, padded = window_partition3d(x, self.window_size)
        x = self.attn(x)
        if self.window_size > 0:
            x = window_unpartition3d(x, self.window_size, padded, original)
        x = shortcut + x
        return x + self.mlp(self.norm2(x))


class PatchEmbed3D(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv3d(1, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).permute(0, 2, 3, 4, 1)


class ImageEncoder3D(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim = cfg["embed_dim"]
        grid = cfg["image_size"] // cfg["patch_size"]
        out = cfg["prompt_embed_dim"]
        self.patch_embed = PatchEmbed3D(cfg["patch_size"], dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, grid, grid, grid, dim))
        self.blocks = nn.ModuleList([
            EncoderBlock(dim, cfg["num_heads"],
                         0 if i in cfg["global_attn_indexes"] else cfg["window_size"], grid)
            for i in range(cfg["depth"])])
        self.neck = nn.Sequential(
            nn.Conv3d(dim, out, kernel_size=1, bias=False), LayerNorm3d(out),
            nn.Conv3d(out, out, kernel_size=3, padding=1, bias=False), LayerNorm3d(out))

    def forward(self, x):
        x = self.patch_embed(x) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.neck(x.permute(0, 4, 1, 2, 3))


# ----------------------------------------------------------------------------------------------------
# Prompt encoder
# ----------------------------------------------------------------------------------------------------

class PositionEmbeddingRandom3D(nn.Module):
    def __init__(self, num_pos_feats):
        super().__init__()
        self.register_buffer("positional_encoding_gaussian_matrix", torch.randn(3, num_pos_feats))

    def _pe_encoding(self, coords):
        coords = 2 * coords - 1
        coords = coords @ self.positional_encoding_gaussian_matrix
        coords = 2 * math.pi * coords
        # 3 x num_pos_feats must fill the embedding dim: the official code repeats sin
        return torch.cat([torch.sin(coords), torch.cos(coords), torch.sin(coords)], dim=-1)

    def forward(self, size):
        x, y, z = size
        grid = torch.ones((x, y, z), dtype=self.positional_encoding_gaussian_matrix.dtype)
        y_embed = (grid.cumsum(dim=0) - 0.5) / x
        x_embed = (grid.cumsum(dim=1) - 0.5) / y
        z_embed = (grid.cumsum(dim=2) - 0.5) / z
        # x_embed (axis 1) goes first: the dense-PE axis swap of spec section 3
        pe = self._pe_encoding(torch.stack([x_embed, y_embed, z_embed], dim=-1))
        return pe.permute(3, 0, 1, 2)

    def forward_with_coords(self, coords_input, image_size):
        coords = coords_input.clone()
        coords[:, :, 0] = coords[:, :, 0] / image_size[0]
        coords[:, :, 1] = coords[:, :, 1] / image_size[1]
        coords[:, :, 2] = coords[:, :, 2] / image_size[2]
        return self._pe_encoding(coords.to(self.positional_encoding_gaussian_matrix.dtype))  # float32 in the official code; float64 in the reference run


class PromptEncoder3D(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim = cfg["prompt_embed_dim"]
        grid = cfg["image_size"] // cfg["patch_size"]
        chans = cfg["mask_in_chans"]
        self.embed_dim = dim
        self.image_embedding_size = (grid, grid, grid)
        self.input_image_size = (cfg["image_size"],) * 3
        self.pe_layer = PositionEmbeddingRandom3D(dim // 3)
        self.point_embeddings = nn.ModuleList([nn.Embedding(1, dim) for _ in range(2)])
        self.not_a_point_embed = nn.Embedding(1, dim)
        self.mask_downscaling = nn.Sequential(
            nn.Conv3d(1, chans // 4, kernel_size=2, stride=2), LayerNorm3d(chans // 4), nn.GELU(),
            nn.Conv3d(chans // 4, chans, kernel_size=2, stride=2), LayerNorm3d(chans), nn.GELU(),
            nn.Conv3d(chans, dim, kernel_size=1))
        self.no_mask_embed = nn.Embedding(1, dim)

    def get_dense_pe(self):
        return self.pe_layer(self.image_embedding_size).unsqueeze(0)

    def _embed_points(self, points, labels):
        points = points + 0.5
        pad_point = torch.zeros((points.shape[0], 1, 3), dtype=points.dtype)
        pad_label = -torch.ones((labels.shape[0], 1), dtype=labels.dtype)
        points = torch.cat([points, pad_point], dim=1)
        labels = torch.cat([labels, pad_label], dim=1)
        emb = self.pe_layer.forward_with_coords(points, self.input_image_size)
        emb[labels == -1] = 0.0
        emb[labels == -1] += self.not_a_point_embed.weight
        emb[labels == 0] += self.point_embeddings[0].weight
        emb[labels == 1] += self.point_embeddings[1].weight
        return emb

    def forward(self, points, labels, masks):
        sparse = self._embed_points(points, labels)
        dense = self.mask_downscaling(masks)
        return sparse, dense


# ----------------------------------------------------------------------------------------------------
# Mask decoder
# ----------------------------------------------------------------------------------------------------

class DecoderAttention(nn.Module):
    def __init__(self, dim, num_heads, downsample_rate=1):
        super().__init__()
        self.internal_dim = dim // downsample_rate
        self.num_heads = num_heads
        self.q_proj = nn.Linear(dim, self.internal_dim)
        self.k_proj = nn.Linear(dim, self.internal_dim)
        self.v_proj = nn.Linear(dim, self.internal_dim)
        self.out_proj = nn.Linear(self.internal_dim, dim)

    def _split(self, x):
        b, n, c = x.shape
        return x.reshape(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)

    def forward(self, q, k, v):
        q, k, v = self._split(self.q_proj(q)), self._split(self.k_proj(k)), self._split(self.v_proj(v))
        attn = (q @ k.permute(0, 1, 3, 2)) / math.sqrt(q.shape[-1])
        out = torch.softmax(attn, dim=-1) @ v
        b, h, n, c = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, n, h * c))


class TwoWayAttentionBlock(nn.Module):
    def __init__(self, dim, num_heads, mlp_dim, skip_first_layer_pe):
        super().__init__()
        self.self_attn = DecoderAttention(dim, num_heads)
        self.norm1 = nn.LayerNorm(dim)
        self.cross_attn_token_to_image = DecoderAttention(dim, num_heads, 2)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLPBlock(dim, mlp_dim, nn.ReLU)
        self.norm3 = nn.LayerNorm(dim)
        self.norm4 = nn.LayerNorm(dim)
        self.cross_attn_image_to_token = DecoderAttention(dim, num_heads, 2)
        self.skip_first_layer_pe = skip_first_layer_pe

    def forward(self, queries, keys, query_pe, key_pe):
        if self.skip_first_layer_pe:
            queries = self.self_attn(queries, queries, queries)
        else:
            q = queries + query_pe
            queries = queries + self.self_attn(q, q, queries)
        queries = self.norm1(queries)
        q, k = queries + query_pe, keys + key_pe
        queries = self.norm2(queries + self.cross_attn_token_to_image(q, k, keys))
        queries = self.norm3(queries + self.mlp(queries))
        q, k = queries + query_pe, keys + key_pe
        keys = self.norm4(keys + self.cross_attn_image_to_token(k, q, queries))
        return queries, keys


class TwoWayTransformer(nn.Module):
    def __init__(self, depth, dim, num_heads, mlp_dim):
        super().__init__()
        self.layers = nn.ModuleList([TwoWayAttentionBlock(dim, num_heads, mlp_dim, i == 0) for i in range(depth)])
        self.final_attn_token_to_image = DecoderAttention(dim, num_heads, 2)
        self.norm_final_attn = nn.LayerNorm(dim)

    def forward(self, image_embedding, image_pe, point_embedding):
        keys = image_embedding.flatten(2).permute(0, 2, 1)
        key_pe = image_pe.flatten(2).permute(0, 2, 1)
        queries = point_embedding
        for layer in self.layers:
            queries, keys = layer(queries, keys, point_embedding, key_pe)
        q, k = queries + point_embedding, keys + key_pe
        queries = self.norm_final_attn(queries + self.final_attn_token_to_image(q, k, keys))
        return queries, keys


class MLP(nn.Module):
    def __init__(self, dim_in, hidden, dim_out, depth):
        super().__init__()
        dims = [dim_in] + [hidden] * (depth - 1)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:] + [dim_out]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = F.relu(layer(x)) if i < len(self.layers) - 1 else layer(x)
        return x


class MaskDecoder3D(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim = cfg["prompt_embed_dim"]
        self.num_mask_tokens = cfg["num_multimask_outputs"] + 1
        self.transformer = TwoWayTransformer(cfg["decoder_depth"], dim, cfg["decoder_heads"], cfg["decoder_mlp_dim"])
        self.iou_token = nn.Embedding(1, dim)
        self.mask_tokens = nn.Embedding(self.num_mask_tokens, dim)
        self.output_upscaling = nn.Sequential(
            nn.ConvTranspose3d(dim, dim // 4, kernel_size=2, stride=2), LayerNorm3d(dim // 4), nn.GELU(),
            nn.ConvTranspose3d(dim // 4, dim // 8, kernel_size=2, stride=2), nn.GELU())
        self.output_hypernetworks_mlps = nn.ModuleList(
            [MLP(dim, dim, dim // 8, 3) for _ in range(self.num_mask_tokens)])
        self.iou_prediction_head = MLP(dim, cfg["iou_head_hidden_dim"], self.num_mask_tokens, cfg["iou_head_depth"])

    def forward(self, image_embeddings, image_pe, sparse, dense):
        """multimask_output=False: mask 0 and IoU 0, as every official script uses."""
        output_tokens = torch.cat([self.iou_token.weight, self.mask_tokens.weight], dim=0)
        tokens = torch.cat([output_tokens.unsqueeze(0).expand(sparse.shape[0], -1, -1), sparse], dim=1)
        src = torch.repeat_interleave(image_embeddings, tokens.shape[0], dim=0) + dense
        pos_src = torch.repeat_interleave(image_pe, tokens.shape[0], dim=0)
        b, c, x, y, z = src.shape
        hs, src = self.transformer(src, pos_src, tokens)
        iou_token_out = hs[:, 0, :]
        mask_tokens_out = hs[:, 1:1 + self.num_mask_tokens, :]
        upscaled = self.output_upscaling(src.transpose(1, 2).reshape(b, c, x, y, z))
        hyper_in = torch.stack([mlp(mask_tokens_out[:, i, :]) for i, mlp in
                                enumerate(self.output_hypernetworks_mlps)], dim=1)
        b, c, x, y, z = upscaled.shape
        masks = (hyper_in @ upscaled.view(b, c, x * y * z)).view(b, -1, x, y, z)
        iou = self.iou_prediction_head(iou_token_out)
        return masks[:, 0:1], iou[:, 0:1]


class Sam3D(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.image_encoder = ImageEncoder3D(cfg)
        self.prompt_encoder = PromptEncoder3D(cfg)
        self.mask_decoder = MaskDecoder3D(cfg)

    def decode_click(self, image_embedding, points, labels, prev_logits):
        """One interactive step: returns sparse, dense, 32^3 low-res logits, IoU, uint8 128^3 mask."""
        sparse, dense = self.prompt_encoder(points, labels, prev_logits)
        logits, iou = self.mask_decoder(image_embedding, self.prompt_encoder.get_dense_pe(), sparse, dense)
        mask = to_input_resolution_mask(logits, self.prompt_encoder.input_image_size)
        return sparse, dense, logits, iou, mask


def to_input_resolution_mask(logits, size):
    up = F.interpolate(logits, size=size, mode="trilinear", align_corners=False)
    return (torch.sigmoid(up) > 0.5).to(torch.uint8)


# ----------------------------------------------------------------------------------------------------
# CLI: fixture check
# ----------------------------------------------------------------------------------------------------

def load_fixture_model(fixture_dir):
    with open(os.path.join(fixture_dir, "fixture.json")) as f:
        fixture = json.load(f)
    model = Sam3D(fixture["config"])
    ckpt = torch.load(os.path.join(fixture_dir, "checkpoint.pth"), map_location="cpu")
    if not isinstance(ckpt, dict) or "model_state_dict" not in ckpt:
        raise ValueError(f"{fixture_dir}/checkpoint.pth: expected a dict with 'model_state_dict'")
    model.load_state_dict(ckpt["model_state_dict"], strict=True)
    return model.eval(), fixture


def check_fixture(fixture_dir):
    model, fixture = load_fixture_model(fixture_dir)
    ref = lambda name: np.load(os.path.join(fixture_dir, name + ".npy"))
    err = lambda got, name: float(np.max(np.abs(got.detach().numpy().astype(np.float64) - ref(name))))
    result = {"fixture": os.path.abspath(fixture_dir), "torch": torch.__version__, "max_abs_error": {}}
    errors = result["max_abs_error"]
    with torch.no_grad():
        image = torch.from_numpy(ref("input_crop"))[None, None]
        embedding = model.image_encoder(image)
        errors["image_embedding"] = err(embedding[0], "image_embedding")
        errors["image_embedding_ref_max_abs"] = float(np.max(np.abs(ref("image_embedding"))))
        errors["dense_pe"] = err(model.prompt_encoder.get_dense_pe()[0], "dense_pe")
        size = fixture["config"]["image_size"] // 4
        prev = torch.zeros(1, 1, size, size, size)
        for k, click in enumerate(fixture["clicks"], start=1):
            points = torch.tensor(click["points"], dtype=torch.float32)[None]
            labels = torch.tensor(click["labels"], dtype=torch.float32)[None].to(torch.int64)
            sparse, dense, logits, iou, mask = model.decode_click(embedding, points, labels, prev)
            errors[f"click{k}_sparse"] = err(sparse[0], f"click{k}_sparse")
            errors[f"click{k}_dense"] = err(dense[0], f"click{k}_dense")
            errors[f"click{k}_lowres_logits"] = err(logits[0, 0], f"click{k}_lowres_logits")
            errors[f"click{k}_iou"] = err(iou[0], f"click{k}_iou")
            ref_mask = ref(f"click{k}_mask")
            got_mask = mask[0, 0].numpy()
            errors[f"click{k}_mask_voxels_differing"] = int(np.count_nonzero(got_mask != ref_mask))
            errors[f"click{k}_mask_voxels_set_ref"] = int(np.count_nonzero(ref_mask))
            prev = logits
    return result


# ----------------------------------------------------------------------------------------------------
# CLI: turbo benchmark
# ----------------------------------------------------------------------------------------------------

def randomize(model, seed):
    """Seeded random weights with sane scales (timing does not depend on values, only on finite math)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if p.dim() == 1 and name.endswith("weight"):  # norm scales
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(max(fan_in, 1)))


def median(values):
    return float(np.median(np.asarray(values)))


def bench_turbo(repeats, seed, warmup):
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    model = Sam3D(TURBO_CONFIG)
    randomize(model, seed)
    model.eval()
    gen = torch.Generator().manual_seed(seed + 1)
    image = torch.randn((1, 1, 128, 128, 128), generator=gen)
    clicks = [([70.0, 40.0, 90.0], 1), ([20.0, 100.0, 64.0], 0), ([64.0, 64.0, 64.0], 1)]
    rss_after_build_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    enc_times, dec_times = [], {k: [] for k in range(1, len(clicks) + 1)}
    with torch.no_grad():
        for run in range(warmup + repeats):
            t0 = time.perf_counter()
            embedding = model.image_encoder(image)
            t1 = time.perf_counter()
            if run >= warmup:
                enc_times.append(t1 - t0)
            prev = torch.zeros(1, 1, 32, 32, 32)
            for k in range(1, len(clicks) + 1):
                points = torch.tensor([c[0] for c in clicks[:k]], dtype=torch.float32)[None]
                labels = torch.tensor([c[1] for c in clicks[:k]], dtype=torch.int64)[None]
                t2 = time.perf_counter()
                _, _, logits, _, mask = model.decode_click(embedding, points, labels, prev)
                t3 = time.perf_counter()
                if run >= warmup:
                    dec_times[k].append(t3 - t2)
                prev = logits
    if not torch.isfinite(embedding).all() or not torch.isfinite(prev).all():
        raise RuntimeError("turbo benchmark produced non-finite values; the random weight scales are wrong")
    all_dec = [t for ts in dec_times.values() for t in ts]
    return {
        "config": "turbo (vit_b_ori, 768/12/12, window 14, 128^3), random weights seed %d, fp32, no grad" % seed,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "python": platform.python_version(),
        "cpu": cpu_model(), "warmup_runs": warmup, "timed_runs": repeats,
        "encoder_s": {"median": median(enc_times), "all": enc_times},
        "decoder_per_click_s": {"median": median(all_dec),
                                "per_click_median": {f"click{k}": median(v) for k, v in dec_times.items()}},
        "decoder_scope": "prompt encoder + mask decoder + trilinear 32^3->128^3 + threshold",
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "rss_after_model_build_mib": rss_after_build_kb / 1024.0,
        "loadavg_start": LOADAVG_START, "loadavg_end": read_loadavg(),
    }


PARITY_CLICKS = [([70.0, 40.0, 90.0], 1), ([20.0, 100.0, 64.0], 0), ([64.0, 64.0, 64.0], 1)]
PARITY_FILES = ["image_embedding", "dense_pe"] + [f"click{k}_{n}" for k in (1, 2, 3) for n in ("sparse", "dense", "lowres_logits", "iou")]


def turbo_parity(out, seed):
    """The full-size configuration on seeded weights, for parity of another engine against this module in fp32 and fp64.

    The relative-position tables are scaled up (x8) so that their terms matter: with large positional weights the
    problem is ill-conditioned, and fp32 noise is judged against the float64 run of the same module.
    """
    torch.set_num_threads(2)
    model = Sam3D(TURBO_CONFIG)
    randomize(model, seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".rel_pos_" in name:
                p.mul_(8.0)
    model.eval()
    os.makedirs(out, exist_ok=True)
    if not os.path.exists(os.path.join(out, "turbo.pth")):
        torch.save({"model_state_dict": model.state_dict()}, os.path.join(out, "turbo.pth"))
    gen = torch.Generator().manual_seed(seed + 1)
    image = torch.randn((1, 1, 128, 128, 128), generator=gen)
    np.save(os.path.join(out, "input_crop.npy"), image[0, 0].numpy())
    with open(os.path.join(out, "fixture.json"), "w") as f:
        json.dump({"config": TURBO_CONFIG, "clicks": [{"points": [c[0] for c in PARITY_CLICKS[:k]], "labels": [c[1] for c in PARITY_CLICKS[:k]]}
                                                      for k in (1, 2, 3)]}, f, indent=1)
    for dtype, sub in ((torch.float32, "fp32"), (torch.float64, "fp64")):
        folder = os.path.join(out, sub)
        if os.path.exists(os.path.join(folder, "click3_mask.npy")):
            continue  # deterministic (same seed): an earlier run wrote it
        m = model.to(dtype)
        os.makedirs(folder, exist_ok=True)
        with torch.no_grad():
            embedding = m.image_encoder(image.to(dtype))
            np.save(os.path.join(folder, "image_embedding.npy"), embedding[0].numpy())
            np.save(os.path.join(folder, "dense_pe.npy"), m.prompt_encoder.get_dense_pe()[0].numpy())
            prev = torch.zeros(1, 1, 32, 32, 32, dtype=dtype)
            for k in (1, 2, 3):
                points = torch.tensor([c[0] for c in PARITY_CLICKS[:k]], dtype=dtype)[None]
                labels = torch.tensor([c[1] for c in PARITY_CLICKS[:k]], dtype=torch.int64)[None]
                sparse, dense, logits, iou, mask = m.decode_click(embedding, points, labels, prev)
                for name, value in (("sparse", sparse[0]), ("dense", dense[0]), ("lowres_logits", logits[0, 0]), ("iou", iou[0]), ("mask", mask[0, 0])):
                    np.save(os.path.join(folder, f"click{k}_{name}.npy"), value.numpy())
                prev = logits
    return {"written": os.path.abspath(out), "torch": torch.__version__, "seed": seed}


def compare(out, ours):
    ref = lambda sub, name: np.load(os.path.join(out, sub, name + ".npy")).astype(np.float64)
    mine = lambda name: np.load(os.path.join(ours, name + ".npy")).astype(np.float64)
    result = {"reference": "this module in float64", "max_abs": {}}
    for name in PARITY_FILES:
        r = ref("fp64", name)
        result["max_abs"][name] = {"ours": float(np.max(np.abs(mine(name).reshape(r.shape) - r))),
                                   "torch_fp32": float(np.max(np.abs(ref("fp32", name) - r))),
                                   "ref_max_abs": float(np.max(np.abs(r)))}
    for k in (1, 2, 3):
        r = np.load(os.path.join(out, "fp64", f"click{k}_mask.npy"))
        result[f"click{k}_mask_voxels_differing"] = {
            "ours": int(np.count_nonzero(np.load(os.path.join(ours, f"click{k}_mask.npy")) != r)),
            "torch_fp32": int(np.count_nonzero(np.load(os.path.join(out, "fp32", f"click{k}_mask.npy")) != r)),
            "voxels": int(r.size), "foreground_fp64": int(np.count_nonzero(r))}
    return result


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def read_loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().strip()
    except OSError:
        return "unavailable"


LOADAVG_START = read_loadavg()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check-fixture", metavar="DIR")
    mode.add_argument("--bench-turbo", action="store_true")
    mode.add_argument("--turbo-parity", metavar="OUT")
    mode.add_argument("--compare", nargs=2, metavar=("OUT", "OURS"))
    parser.add_argument("--repeats", type=int, default=3, help="timed runs after the warm-up (bench)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed warm-up runs (bench)")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    if args.check_fixture:
        if not os.path.isdir(args.check_fixture):
            parser.error(f"fixture directory not found: {args.check_fixture}")
        torch.set_num_threads(2)
        out = check_fixture(args.check_fixture)
    elif args.turbo_parity:
        out = turbo_parity(args.turbo_parity, args.seed)
    elif args.compare:
        out = compare(*args.compare)
    else:
        if args.repeats < 1 or args.warmup < 0:
            parser.error("--repeats must be >= 1 and --warmup >= 0")
        out = bench_turbo(args.repeats, args.seed, args.warmup)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
