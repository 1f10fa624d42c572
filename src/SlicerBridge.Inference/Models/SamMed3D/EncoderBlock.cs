using SlicerBridge.Inference.Tensors;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// One pre-norm encoder block: x += proj(RelPosAttention(qkv(LN1(x)))); x += lin2(GELU(lin1(LN2(x)))).
/// LayerNorm eps is 1e-6 (nn.LayerNorm(dim, eps=1e-6) in the official code).
/// </summary>
public sealed class EncoderBlock
{
    private readonly ITensorBackend _backend;
    private readonly float[] _norm1W, _norm1B, _norm2W, _norm2B;
    private readonly LinearWeights _qkv, _proj, _lin1, _lin2;
    private readonly RelPosAttentionSpec _attention;

    public EncoderBlock(SamMed3DConfig config, SamWeights weights, int index)
    {
        _backend = weights.Backend;
        string b = $"image_encoder.blocks.{index}.";
        _norm1W = weights.Keep(b + "norm1.weight");
        _norm1B = weights.Keep(b + "norm1.bias");
        _qkv = weights.Linear(b + "attn.qkv");
        _proj = weights.Linear(b + "attn.proj");
        _norm2W = weights.Keep(b + "norm2.weight");
        _norm2B = weights.Keep(b + "norm2.bias");
        _lin1 = weights.Linear(b + "mlp.lin1");
        _lin2 = weights.Linear(b + "mlp.lin2");
        bool global = config.IsGlobal(index) || config.WindowSize == 0;
        _attention = new RelPosAttentionSpec
        {
            Grid = config.Grid,
            // Quirk (spec §2.1): window 14 exceeds the 8³ grid, so a windowed block is one zero-padded 14³ window.
            Window = global ? config.Grid : config.WindowSize,
            Heads = config.NumHeads,
            HeadDim = config.HeadDim,
            RelPosD = weights.Keep(b + "attn.rel_pos_d"),
            RelPosH = weights.Keep(b + "attn.rel_pos_h"),
            RelPosW = weights.Keep(b + "attn.rel_pos_w"),
            QkvBias = weights.Read(b + "attn.qkv.bias"),
        };
    }

    /// <summary>Work buffers shared by the blocks of one forward pass.</summary>
    public sealed class Scratch(TensorArena arena, int tokens, int dim)
    {
        public Tensor Normed { get; } = arena.Rent(tokens, dim);
        public Tensor Qkv { get; } = arena.Rent(tokens, 3 * dim);
        public Tensor Attended { get; } = arena.Rent(tokens, dim);
        public Tensor Hidden { get; } = arena.Rent(tokens, 4 * dim);
    }

    public void Forward(Tensor x, Scratch s)
    {
        _backend.LayerNorm(x, _norm1W, _norm1B, 1e-6f, s.Normed);
        _backend.Linear(s.Normed, _qkv, s.Qkv);
        _backend.RelPosAttention(s.Qkv, _attention, s.Attended);
        _backend.Linear(s.Attended, _proj, x, accumulate: true);
        _backend.LayerNorm(x, _norm2W, _norm2B, 1e-6f, s.Normed);
        _backend.Linear(s.Normed, _lin1, s.Hidden, Activation.Gelu);
        _backend.Linear(s.Hidden, _lin2, x, accumulate: true);
    }
}
