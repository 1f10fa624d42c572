using SlicerBridge.Inference.Tensors;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The two-way transformer of the mask decoder (spec §4 step 3): tokens attend to the image and the image to the
/// tokens, layer by layer, then a final token→image attention. Its LayerNorms use PyTorch's default eps 1e-5.
/// </summary>
public sealed class TwoWayTransformer
{
    private const float Eps = 1e-5f;
    private readonly ITensorBackend _backend;
    private readonly Layer[] _layers;
    private readonly DecoderAttention _final;
    private readonly float[] _finalNormW, _finalNormB;

    public TwoWayTransformer(SamMed3DConfig config, SamWeights weights)
    {
        _backend = weights.Backend;
        const string T = "mask_decoder.transformer.";
        _layers = Enumerable.Range(0, config.DecoderDepth).Select(i => new Layer(weights, $"{T}layers.{i}.", config.DecoderHeads)).ToArray();
        _final = new DecoderAttention(weights, T + "final_attn_token_to_image", config.DecoderHeads);
        _finalNormW = weights.Keep(T + "norm_final_attn.weight");
        _finalNormB = weights.Keep(T + "norm_final_attn.bias");
    }

    /// <summary>queries start as the tokens (their own PE); keys = image embedding + dense prompt, keyPe = dense PE. Both are updated in place.</summary>
    public void Forward(Tensor queries, Tensor keys, Tensor tokenPe, Tensor keyPe, TensorArena arena)
    {
        for (int i = 0; i < _layers.Length; i++)
            _layers[i].Forward(_backend, arena, queries, keys, tokenPe, keyPe, skipFirstPe: i == 0);
        var q = WithPe(_backend, arena, queries, tokenPe);
        var k = WithPe(_backend, arena, keys, keyPe);
        _backend.Add(_final.Forward(q, k, keys, arena), queries);
        _backend.LayerNorm(queries, _finalNormW, _finalNormB, Eps, queries);
    }

    /// <summary>x + pe as a new arena tensor (the attention inputs that carry positional encodings).</summary>
    private static Tensor WithPe(ITensorBackend backend, TensorArena arena, Tensor x, Tensor pe)
    {
        var r = arena.Copy(x);
        backend.Add(pe, r);
        return r;
    }

    private sealed class Layer
    {
        private readonly DecoderAttention _self, _tokenToImage, _imageToToken;
        private readonly LinearWeights _lin1, _lin2;
        private readonly float[][] _norms;

        public Layer(SamWeights weights, string prefix, int heads)
        {
            _self = new DecoderAttention(weights, prefix + "self_attn", heads);
            _tokenToImage = new DecoderAttention(weights, prefix + "cross_attn_token_to_image", heads);
            _imageToToken = new DecoderAttention(weights, prefix + "cross_attn_image_to_token", heads);
            _lin1 = weights.Linear(prefix + "mlp.lin1");
            _lin2 = weights.Linear(prefix + "mlp.lin2");
            _norms = Enumerable.Range(1, 4).SelectMany(n => new[] { weights.Keep($"{prefix}norm{n}.weight"), weights.Keep($"{prefix}norm{n}.bias") }).ToArray();
        }

        private void Norm(ITensorBackend backend, int n, Tensor x) => backend.LayerNorm(x, _norms[2 * (n - 1)], _norms[2 * (n - 1) + 1], Eps, x);

        public void Forward(ITensorBackend backend, TensorArena arena, Tensor queries, Tensor keys, Tensor tokenPe, Tensor keyPe, bool skipFirstPe)
        {
            if (skipFirstPe)
            {
                // Layer 0: queries are replaced by their self-attention, without residual or PE (official code).
                var attended = _self.Forward(queries, queries, queries, arena);
                attended.Data.CopyTo(queries.Data, 0);
            }
            else
            {
                var q = WithPe(backend, arena, queries, tokenPe);
                backend.Add(_self.Forward(q, q, queries, arena), queries);
            }
            Norm(backend, 1, queries);

            var qt = WithPe(backend, arena, queries, tokenPe);
            var kt = WithPe(backend, arena, keys, keyPe); // keys only change at the end of the layer, so kt serves both cross-attentions
            backend.Add(_tokenToImage.Forward(qt, kt, keys, arena), queries);
            Norm(backend, 2, queries);

            var hidden = arena.Rent(queries.Rows, _lin1.OutFeatures);
            backend.Linear(queries, _lin1, hidden, Activation.Relu);
            backend.Linear(hidden, _lin2, queries, accumulate: true);
            Norm(backend, 3, queries);

            qt = WithPe(backend, arena, queries, tokenPe);
            backend.Add(_imageToToken.Forward(kt, qt, queries, arena), keys);
            Norm(backend, 4, keys);
        }
    }
}
