using SlicerBridge.Inference.Tensors;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The 3D ViT image encoder (spec §2): patch embedding (Conv3d k = stride = 16 as a GEMM over patches), learned
/// absolute position embedding, pre-norm blocks with decomposed relative-position attention, and the neck
/// (1×1×1 conv → LayerNorm3d → 3×3×3 conv → LayerNorm3d). Activations are channel-last [G³, C].
/// </summary>
public sealed class ImageEncoder
{
    private readonly SamMed3DConfig _config;
    private readonly ITensorBackend _backend;
    private readonly LinearWeights _patchEmbed;
    private readonly float[] _posEmbed;
    private readonly EncoderBlock[] _blocks;
    private readonly LinearWeights _neckConv1, _neckConv3;
    private readonly float[] _neckNorm1W, _neckNorm1B, _neckNorm3W, _neckNorm3B;

    public ImageEncoder(SamMed3DConfig config, SamWeights weights)
    {
        _config = config;
        _backend = weights.Backend;
        const string E = "image_encoder.";
        _patchEmbed = weights.Conv3d(E + "patch_embed.proj.weight", E + "patch_embed.proj.bias");
        _posEmbed = weights.Keep(E + "pos_embed");
        _blocks = Enumerable.Range(0, config.Depth).Select(i => new EncoderBlock(config, weights, i)).ToArray();
        _neckConv1 = weights.Conv3d(E + "neck.0.weight", null);
        _neckNorm1W = weights.Keep(E + "neck.1.weight");
        _neckNorm1B = weights.Keep(E + "neck.1.bias");
        _neckConv3 = weights.Conv3d(E + "neck.2.weight", null);
        _neckNorm3W = weights.Keep(E + "neck.3.weight");
        _neckNorm3B = weights.Keep(E + "neck.3.bias");
    }

    /// <summary>Crop [S0][S1][S2] (axis 2 fastest) → embedding channel-last [G³, PromptEmbedDim].</summary>
    public Tensor Forward(ReadOnlySpan<float> crop, TensorArena arena, CancellationToken cancellationToken)
    {
        int s = _config.ImageSize, g = _config.Grid, p = _config.PatchSize;
        if (crop.Length != s * s * s) throw new ArgumentException($"The encoder takes a {s}³ crop, got {crop.Length} values.");
        var input = arena.Rent(s * s * s, 1);
        crop.CopyTo(input.Data);
        var patches = arena.Rent(TensorBackendExtensions.Im2ColShape(s, 1, p, p, 0));
        _backend.Im2Col(input, s, p, p, 0, patches);
        var x = arena.Rent(g * g * g, _config.EmbedDim);
        _backend.Linear(patches, _patchEmbed, x);
        _backend.Add(new Tensor(_posEmbed, x.Shape), x);
        var scratch = new EncoderBlock.Scratch(arena, g * g * g, _config.EmbedDim);
        foreach (var block in _blocks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            block.Forward(x, scratch);
        }
        int o = _config.PromptEmbedDim;
        var y = arena.Rent(g * g * g, o);
        _backend.Linear(x, _neckConv1, y);
        _backend.LayerNorm(y, _neckNorm1W, _neckNorm1B, 1e-6f, y);
        var z = arena.Rent(g * g * g, o);
        var columns = arena.Rent(TensorBackendExtensions.Im2ColShape(g, o, 3, 1, 1));
        _backend.Im2Col(y, g, 3, 1, 1, columns);
        _backend.Linear(columns, _neckConv3, z);
        _backend.LayerNorm(z, _neckNorm3W, _neckNorm3B, 1e-6f, z);
        return z;
    }
}
