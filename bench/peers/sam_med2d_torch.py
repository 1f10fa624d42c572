#!/usr/bin/python3
"""PyTorch eager peer for SAM-Med2D (ViT-B with adapters at 256 x 256) and its official predictor pipeline.

A re-implementation written from ../shared/docs/sam-med2d.md that follows the official modules' computation path
(OpenGVLab/SAM-Med2D `segment_anything/modeling`, `predictor_sammed.py`): windowed blocks zero-pad the LN1 output from
16 x 16 to 28 x 28 and attend over all 196 tokens of each 14 x 14 window (no key masking), the decomposed relative
position terms are added as (q*scale)k^T + rel_h + rel_w, every block has an adapter beside its MLP, and the mask
prompt is the sigmoid of the previous low-res logits. Module and parameter names match the checkpoint keys, so the
official state_dict loads strictly.

Run with Debian's /usr/bin/python3 (python3-torch 1.13).

CLI:
  --check-fixture DIR        load DIR/checkpoint.pth ({'model': ..., 'optimizer': ...}), replay fixture.json through the
                             predictor pipeline, print max errors relative to max|ref| and mask mismatches (JSON)
  --bench [--repeats N]      time the released configuration with seeded random weights: encoder per 256 x 256 frame
                             (pre-processing of a 640 x 480 frame included) and decoder per prompt (JSON)
"""
import argparse
import json
import math
import os
import platform
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

RELEASED = {
    "image_size": 256, "patch_size": 16, "window_size": 14, "encoder_embed_dim": 768, "encoder_depth": 12,
    "encoder_num_heads": 12, "encoder_global_attn_indexes": [2, 5, 8, 11], "mlp_ratio": 4, "encoder_adapter": True,
    "adapter_mlp_ratio": 0.25, "prompt_embed_dim": 256, "mask_in_chans": 16, "decoder_depth": 2,
    "decoder_num_heads": 8, "decoder_mlp_dim": 2048, "attention_downsample_rate": 2, "num_multimask_outputs": 3,
    "iou_head_depth": 3, "iou_head_hidden_dim": 256,
    "pixel_mean": [123.675, 116.28, 103.53], "pixel_std": [58.395, 57.12, 57.375],
}


class LayerNorm2d(nn.Module):
    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class MLPBlock(nn.Module):
    def __init__(self, dim, hidden, act):
        super().__init__()
        self.lin1 = nn.Linear(dim, hidden)
        self.lin2 = nn.Linear(hidden, dim)
        self.act = act()

    def forward(self, x):
        return self.lin2(self.act(self.lin1(x)))


# ---------------------------------------------------------------------------------------------------- encoder

def get_rel_pos(q_size, k_size, rel_pos):
    q_coords = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
    k_coords = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
    relative = (q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)
    return rel_pos[relative.long()]


class Attention(nn.Module):
    def __init__(self, dim, num_heads, size):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * size - 1, dim // num_heads))
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * size - 1, dim // num_heads))

    def forward(self, x):
        B, H, W, _ = x.shape
        qkv = self.qkv(x).reshape(B, H * W, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.reshape(3, B * self.num_heads, H * W, -1).unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        Rh, Rw = get_rel_pos(H, H, self.rel_pos_h), get_rel_pos(W, W, self.rel_pos_w)
        r_q = q.reshape(B * self.num_heads, H, W, -1)
        rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, Rh)
        rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, Rw)
        attn = (attn.view(-1, H, W, H, W) + rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]).view(-1, H * W, H * W)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).view(B, self.num_heads, H, W, -1).permute(0, 2, 3, 1, 4).reshape(B, H, W, -1)
        return self.proj(x)


class Adapter_Layer(nn.Module):
    def __init__(self, dim, ratio):
        super().__init__()
        hidden = int(dim * ratio)
        self.norm = nn.LayerNorm(dim)
        self.channel = nn.Sequential(nn.Linear(dim, hidden, bias=False), nn.ReLU(), nn.Linear(hidden, dim, bias=False), nn.Sigmoid())
        self.spatial = nn.Sequential(nn.Conv2d(dim, dim, 3, stride=2, padding=1, bias=False), nn.ReLU(),
                                     nn.ConvTranspose2d(dim, dim, 4, stride=2, padding=1, bias=False), nn.ReLU())

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        B, C, _, _ = x.shape
        gated = self.channel(x.mean(dim=(2, 3))).view(B, C, 1, 1) * x
        x = x + self.spatial(gated)                      # the skip adds the ungated input (spec 2.5)
        return self.norm(x.permute(0, 2, 3, 1))


def window_partition(x, window):
    B, H, W, C = x.shape
    ph, pw = (window - H % window) % window, (window - W % window) % window
    x = F.pad(x, (0, 0, 0, pw, 0, ph))
    Hp, Wp = H + ph, W + pw
    x = x.view(B, Hp // window, window, Wp // window, window, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window, window, C), (Hp, Wp)


def window_unpartition(windows, window, padded, original):
    Hp, Wp = padded
    H, W = original
    B = windows.shape[0] // (Hp * Wp // window // window)
    x = windows.view(B, Hp // window, Wp // window, window, window, -1)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(B, Hp, Wp, -1)[:, :H, :W, :]


class Block(nn.Module):
    def __init__(self, cfg, index):
        super().__init__()
        dim = cfg["encoder_embed_dim"]
        grid = cfg["image_size"] // cfg["patch_size"]
        self.window = 0 if index in cfg["encoder_global_attn_indexes"] else cfg["window_size"]
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, cfg["encoder_num_heads"], self.window or grid)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = MLPBlock(dim, dim * cfg["mlp_ratio"], nn.GELU)
        self.Adapter = Adapter_Layer(dim, cfg["adapter_mlp_ratio"]) if cfg["encoder_adapter"] else None

    def forward(self, x):
        shortcut = x
        x = self.norm1(x)
        if self.window:
            H, W = x.shape[1], x.shape[2]
            x, pad = window_partition(x, self.window)
            x = window_unpartition(self.attn(x), self.window, pad, (H, W))
        else:
            x = self.attn(x)
        x = shortcut + x
        n = self.norm2(x)
        return x + self.mlp(n) + self.Adapter(n) if self.Adapter is not None else x + self.mlp(n)


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).permute(0, 2, 3, 1)


class ImageEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim, out, grid = cfg["encoder_embed_dim"], cfg["prompt_embed_dim"], cfg["image_size"] // cfg["patch_size"]
        self.patch_embed = PatchEmbed(cfg["patch_size"], dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, grid, grid, dim))
        self.blocks = nn.ModuleList([Block(cfg, i) for i in range(cfg["encoder_depth"])])
        self.neck = nn.Sequential(nn.Conv2d(dim, out, 1, bias=False), LayerNorm2d(out),
                                  nn.Conv2d(out, out, 3, padding=1, bias=False), LayerNorm2d(out))

    def forward(self, x):
        x = self.patch_embed(x) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.neck(x.permute(0, 3, 1, 2))


# ---------------------------------------------------------------------------------------------------- prompts, decoder

class PositionEmbeddingRandom(nn.Module):
    def __init__(self, num_pos_feats):
        super().__init__()
        self.register_buffer("positional_encoding_gaussian_matrix", torch.randn((2, num_pos_feats)))

    def _pe_encoding(self, coords):
        coords = 2 * coords - 1
        coords = coords @ self.positional_encoding_gaussian_matrix
        coords = 2 * np.pi * coords
        return torch.cat([torch.sin(coords), torch.cos(coords)], dim=-1)

    def forward(self, size):
        h, w = size
        grid = torch.ones((h, w), dtype=torch.float32)
        y = (grid.cumsum(dim=0) - 0.5) / h
        x = (grid.cumsum(dim=1) - 0.5) / w
        return self._pe_encoding(torch.stack([x, y], dim=-1)).permute(2, 0, 1)

    def forward_with_coords(self, coords, image_size):
        coords = coords.clone()
        coords[:, :, 0] = coords[:, :, 0] / image_size[1]
        coords[:, :, 1] = coords[:, :, 1] / image_size[0]
        return self._pe_encoding(coords.to(torch.float))


class PromptEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim, chans = cfg["prompt_embed_dim"], cfg["mask_in_chans"]
        self.grid = cfg["image_size"] // cfg["patch_size"]
        self.input_size = (cfg["image_size"], cfg["image_size"])
        self.pe_layer = PositionEmbeddingRandom(dim // 2)
        self.point_embeddings = nn.ModuleList([nn.Embedding(1, dim) for _ in range(4)])
        self.not_a_point_embed = nn.Embedding(1, dim)
        self.mask_downscaling = nn.Sequential(
            nn.Conv2d(1, chans // 4, 2, stride=2), LayerNorm2d(chans // 4), nn.GELU(),
            nn.Conv2d(chans // 4, chans, 2, stride=2), LayerNorm2d(chans), nn.GELU(), nn.Conv2d(chans, dim, 1))
        self.no_mask_embed = nn.Embedding(1, dim)

    def get_dense_pe(self):
        return self.pe_layer((self.grid, self.grid)).unsqueeze(0)

    def forward(self, points, boxes, masks):
        dim = self.no_mask_embed.weight.shape[1]
        sparse = torch.empty((1, 0, dim))
        if points is not None:
            coords, labels = points
            coords = coords + 0.5
            if boxes is None:
                coords = torch.cat([coords, torch.zeros((1, 1, 2))], dim=1)
                labels = torch.cat([labels, -torch.ones((1, 1))], dim=1)
            pe = self.pe_layer.forward_with_coords(coords, self.input_size)
            pe[labels == -1] = 0.0
            pe[labels == -1] += self.not_a_point_embed.weight
            pe[labels == 0] += self.point_embeddings[0].weight
            pe[labels == 1] += self.point_embeddings[1].weight
            sparse = torch.cat([sparse, pe], dim=1)
        if boxes is not None:
            corners = self.pe_layer.forward_with_coords((boxes + 0.5).reshape(-1, 2, 2), self.input_size)
            corners[:, 0, :] += self.point_embeddings[2].weight
            corners[:, 1, :] += self.point_embeddings[3].weight
            sparse = torch.cat([sparse, corners], dim=1)
        if masks is not None:
            dense = self.mask_downscaling(masks)
        else:
            dense = self.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(1, -1, self.grid, self.grid)
        return sparse, dense


class DecAttention(nn.Module):
    def __init__(self, dim, num_heads, downsample_rate=1):
        super().__init__()
        inner = dim // downsample_rate
        self.num_heads = num_heads
        self.q_proj, self.k_proj, self.v_proj = nn.Linear(dim, inner), nn.Linear(dim, inner), nn.Linear(dim, inner)
        self.out_proj = nn.Linear(inner, dim)

    def _split(self, x):
        b, n, c = x.shape
        return x.reshape(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)

    def forward(self, q, k, v):
        q, k, v = self._split(self.q_proj(q)), self._split(self.k_proj(k)), self._split(self.v_proj(v))
        attn = torch.softmax(q @ k.permute(0, 1, 3, 2) / math.sqrt(q.shape[-1]), dim=-1)
        out = (attn @ v).transpose(1, 2)
        return self.out_proj(out.reshape(out.shape[0], out.shape[1], -1))


class TwoWayAttentionBlock(nn.Module):
    def __init__(self, dim, heads, mlp_dim, downsample, skip_first_layer_pe):
        super().__init__()
        self.self_attn = DecAttention(dim, heads)
        self.norm1 = nn.LayerNorm(dim)
        self.cross_attn_token_to_image = DecAttention(dim, heads, downsample)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLPBlock(dim, mlp_dim, nn.ReLU)
        self.norm3 = nn.LayerNorm(dim)
        self.norm4 = nn.LayerNorm(dim)
        self.cross_attn_image_to_token = DecAttention(dim, heads, downsample)
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
    def __init__(self, cfg):
        super().__init__()
        dim, heads, down = cfg["prompt_embed_dim"], cfg["decoder_num_heads"], cfg["attention_downsample_rate"]
        self.layers = nn.ModuleList([TwoWayAttentionBlock(dim, heads, cfg["decoder_mlp_dim"], down, i == 0) for i in range(cfg["decoder_depth"])])
        self.final_attn_token_to_image = DecAttention(dim, heads, down)
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
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, [hidden] * (depth - 1) + [dim_out]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = F.relu(layer(x)) if i < len(self.layers) - 1 else layer(x)
        return x


class MaskDecoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim, m = cfg["prompt_embed_dim"], cfg["num_multimask_outputs"] + 1
        self.transformer = TwoWayTransformer(cfg)
        self.iou_token = nn.Embedding(1, dim)
        self.mask_tokens = nn.Embedding(m, dim)
        self.output_upscaling = nn.Sequential(
            nn.ConvTranspose2d(dim, dim // 4, 2, stride=2), LayerNorm2d(dim // 4), nn.GELU(),
            nn.ConvTranspose2d(dim // 4, dim // 8, 2, stride=2), nn.GELU())
        self.output_hypernetworks_mlps = nn.ModuleList([MLP(dim, dim, dim // 8, 3) for _ in range(m)])
        self.iou_prediction_head = MLP(dim, cfg["iou_head_hidden_dim"], m, cfg["iou_head_depth"])
        self.m = m

    def forward(self, image_embedding, image_pe, sparse, dense):
        tokens = torch.cat([self.iou_token.weight, self.mask_tokens.weight], dim=0).unsqueeze(0)
        tokens = torch.cat([tokens, sparse], dim=1)
        src = image_embedding + dense               # batch 1: no repeat (spec 4 step 2)
        b, c, h, w = src.shape
        hs, src = self.transformer(src, image_pe, tokens)
        up = self.output_upscaling(src.transpose(1, 2).view(b, c, h, w))
        hyper = torch.stack([self.output_hypernetworks_mlps[i](hs[:, 1 + i, :]) for i in range(self.m)], dim=1)
        b, c, h, w = up.shape
        masks = (hyper @ up.view(b, c, h * w)).view(b, -1, h, w)
        return masks, self.iou_prediction_head(hs[:, 0, :])


class SamMed2D(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.image_encoder = ImageEncoder(cfg)
        self.prompt_encoder = PromptEncoder(cfg)
        self.mask_decoder = MaskDecoder(cfg)
        self.mean = torch.tensor(cfg["pixel_mean"], dtype=torch.float32)
        self.std = torch.tensor(cfg["pixel_std"], dtype=torch.float32)

    # --- the predictor (predictor_sammed.py) ------------------------------------------------------------
    def preprocess(self, image_u8):
        """H x W x 3 uint8 -> 1 x 3 x S x S: float32 (u8 - mean)/std, then OpenCV nearest resize (spec 7.1)."""
        s = self.cfg["image_size"]
        x = (torch.from_numpy(image_u8).to(torch.float32) - self.mean) / self.std
        h, w = image_u8.shape[:2]
        rows = np.minimum(np.floor(np.arange(s) * (1.0 / (s / h))).astype(np.int64), h - 1)
        cols = np.minimum(np.floor(np.arange(s) * (1.0 / (s / w))).astype(np.int64), w - 1)
        return x[torch.from_numpy(rows)][:, torch.from_numpy(cols)].permute(2, 0, 1).unsqueeze(0).contiguous()

    def predict(self, features, hw, point_coords, point_labels, box, mask_input, multimask=True):
        s = self.cfg["image_size"]
        h, w = hw
        points = None
        if point_coords is not None:
            c = np.array(point_coords, dtype=np.float64)
            c[..., 0] = c[..., 0] * (s / w)
            c[..., 1] = c[..., 1] * (s / h)
            points = (torch.as_tensor(c, dtype=torch.float32)[None], torch.as_tensor(point_labels, dtype=torch.int)[None])
        boxes = None
        if box is not None:
            b = np.array(box, dtype=np.float64).reshape(-1, 2, 2)
            b[..., 0] = b[..., 0] * (s / w)
            b[..., 1] = b[..., 1] * (s / h)
            boxes = torch.as_tensor(b.reshape(-1, 4), dtype=torch.float32)
        masks = None if mask_input is None else torch.as_tensor(mask_input, dtype=torch.float32).reshape(1, 1, s // 4, s // 4)
        sparse, dense = self.prompt_encoder(points, boxes, masks)
        low_all, iou_all = self.mask_decoder(features, self.prompt_encoder.get_dense_pe(), sparse, dense)
        if multimask:
            iou, idx = torch.max(iou_all[:, 1:], dim=1)
            idx = int(idx) + 1
        else:
            iou, idx = iou_all[:, 0], 0
        low = low_all[:, idx:idx + 1]
        logits = F.interpolate(low, (s, s), mode="bilinear", align_corners=False)
        logits = F.interpolate(logits, (h, w), mode="bilinear", align_corners=False)
        return {"sparse": sparse, "dense": dense, "lowres_all": low_all, "iou_all": iou_all, "lowres": low,
                "iou": iou, "selected": idx, "logits": logits[0, 0], "mask": (torch.sigmoid(logits[0, 0]) > 0.5)}


def build(cfg):
    cfg = dict(RELEASED, **cfg)
    return SamMed2D(cfg).eval(), cfg


def check_fixture(folder):
    with open(os.path.join(folder, "fixture.json")) as f:
        fixture = json.load(f)
    model, cfg = build(fixture["config"])
    state = torch.load(os.path.join(folder, "checkpoint.pth"), map_location="cpu")["model"]
    model.load_state_dict(state, strict=True)

    def rel(ours, ref):
        ref = np.asarray(ref, dtype=np.float64)
        return float(np.max(np.abs(np.asarray(ours, dtype=np.float64).reshape(ref.shape) - ref)) / max(np.max(np.abs(ref)), 1e-30))

    worst, report = {}, {}
    with torch.no_grad():
        for case in fixture["cases"]:
            name = case["name"]
            image = np.load(os.path.join(folder, case["files"]["image"]))
            x = model.preprocess(image)
            report[name + "_input_bitexact"] = bool(np.array_equal(x[0].numpy(), np.load(os.path.join(folder, f"{name}_input.npy"))))
            features = model.image_encoder(x)
            worst["embedding"] = max(worst.get("embedding", 0), rel(features.numpy(), np.load(os.path.join(folder, f"{name}_embedding.npy"))))
            low = {}
            for p in case["prompts"]:
                mask_input = None if p["mask_input_from"] is None else torch.sigmoid(low[p["mask_input_from"]])
                r = model.predict(features, (case["height"], case["width"]), p["point_coords"], p["point_labels"], p["box"],
                                  mask_input, p["multimask_output"])
                low[p["id"]] = r["lowres"]
                prefix = os.path.join(folder, f"{name}_{p['id']}_")
                for key in ("sparse", "dense", "lowres_all", "iou_all", "lowres", "iou"):
                    worst[key] = max(worst.get(key, 0), rel(r[key].numpy(), np.load(prefix + key + ".npy")))
                ref_mask = np.load(prefix + "mask.npy")
                differ = r["mask"].numpy() != ref_mask.astype(bool)
                unexplained = int(np.sum(differ & (np.abs(r["logits"].numpy()) >= 1e-3)))
                report[f"{name}_{p['id']}"] = {"selected_ok": r["selected"] == p["selected_mask_token"],
                                               "mask_pixels_differ": int(differ.sum()), "unexplained": unexplained}
    worst["dense_pe"] = rel(model.prompt_encoder.get_dense_pe()[0].detach().numpy(), np.load(os.path.join(folder, "dense_pe.npy")))
    ok = all(v for k, v in report.items() if k.endswith("_bitexact")) and all(
        v["selected_ok"] and v["unexplained"] == 0 for k, v in report.items() if isinstance(v, dict)) \
        and worst["embedding"] <= 1e-4 and all(worst[k] <= 1e-3 for k in ("lowres_all", "iou_all", "lowres", "iou"))
    print(json.dumps({"ok": ok, "max_relative_error": worst, "prompts": report}, indent=1))
    return 0 if ok else 1


def bench(repeats, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(2026)
    model, cfg = build({})
    with torch.no_grad():
        for n, p in model.named_parameters():   # seeded like SeededCheckpoint's scale: uniform within 1/sqrt(fan_in), norms near 1
            if p.dim() >= 2:
                p.uniform_(-1, 1).mul_(1 / math.sqrt(p[0].numel()))
            elif n.endswith("weight"):
                p.uniform_(0.98, 1.02)
            else:
                p.uniform_(-0.02, 0.02)
    frame = np.random.default_rng(7).integers(0, 256, (480, 640), dtype=np.uint8)
    frame3 = np.repeat(frame[:, :, None], 3, axis=2)
    enc, dec, dec_post = [], [], []
    with torch.no_grad():
        for r in range(repeats + 1):
            t = time.perf_counter()
            features = model.image_encoder(model.preprocess(frame3))
            if r:
                enc.append((time.perf_counter() - t) * 1000)
        prompts = [([[320, 240]], [1], None), ([[320, 240], [200, 100]], [1, 0], None), (None, None, [250, 150, 420, 330]),
                   ([[320, 240], [200, 100]], [1, 0], [250, 150, 420, 330])]
        mask = None
        for r in range(4 * repeats + 1):
            pc, pl, box = prompts[r % 4]
            t = time.perf_counter()
            out = model.predict(features, (480, 640), pc, pl, box, mask)
            total = (time.perf_counter() - t) * 1000
            # the decoder alone: prompt encoder + mask decoder (what the C# "decoder per prompt" times)
            t = time.perf_counter()
            pts = None if pc is None else (torch.tensor(pc, dtype=torch.float32)[None] * torch.tensor([256 / 640, 256 / 480]), torch.tensor(pl)[None])
            bx = None if box is None else torch.tensor(box, dtype=torch.float32)[None] * torch.tensor([256 / 640, 256 / 480] * 2)
            sparse, dense = model.prompt_encoder(pts, bx, mask)
            model.mask_decoder(features, model.prompt_encoder.get_dense_pe(), sparse, dense)
            alone = (time.perf_counter() - t) * 1000
            if r:
                dec.append(alone)
                dec_post.append(total)
            mask = torch.sigmoid(out["lowres"]) if r % 2 == 0 else None
    med = lambda v: float(np.median(v))
    print(json.dumps({"peer": "pytorch " + torch.__version__, "threads": threads, "cpu": platform.processor() or platform.machine(),
                      "encoder_ms_median": round(med(enc), 1), "encoder_ms_min": round(min(enc), 1),
                      "decoder_ms_median": round(med(dec), 2), "decoder_ms_min": round(min(dec), 2),
                      "decoder_with_post_640x480_ms_median": round(med(dec_post), 2), "repeats": repeats}, indent=1))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-fixture", metavar="DIR")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.check_fixture:
        return check_fixture(a.check_fixture)
    if a.bench:
        return bench(a.repeats, a.threads)
    ap.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
