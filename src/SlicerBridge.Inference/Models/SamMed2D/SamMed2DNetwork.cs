using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// SAM-Med2D on ONNX Runtime: the graphs of <see cref="SamMed2DGraphs"/> over the checkpoint's weights in two sessions
/// on the device asked for. Embeddings come back to the host (C × 16 × 16 floats: 256 KiB for the released model).
/// </summary>
public sealed class SamMed2DNetwork : ISamMed2DNetwork
{
    private readonly WeightSet _weights;
    private readonly InferenceSession _encoder;
    private readonly InferenceSession _decoder;

    private SamMed2DNetwork(SamMed2DConfig config, WeightSet weights, ExecutionDevice device)
    {
        Config = config;
        _weights = weights;
        (_encoder, Execution) = SessionFactory.Create(SamMed2DGraphs.Encoder(config, weights).Build().ToByteArray(), weights, device);
        try
        {
            (_decoder, _) = SessionFactory.Create(SamMed2DGraphs.Decoder(config, weights).Build().ToByteArray(), weights, Execution.Device);
        }
        catch
        {
            _encoder.Dispose();
            throw;
        }
    }

    public static SamMed2DNetwork Load(ICheckpoint checkpoint, SamMed2DConfig config, ExecutionDevice device = default)
    {
        config.Validate();
        var weights = SamMed2DWeights.Load(checkpoint, config);
        try { return new SamMed2DNetwork(config, weights, device); }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public static SamMed2DNetwork Load(string checkpointPath, SamMed2DConfig config, ExecutionDevice device = default)
    {
        using var checkpoint = CheckpointReader.Open(checkpointPath);
        return Load(checkpoint, config, device);
    }

    public SamMed2DConfig Config { get; }
    public ExecutionChoice Execution { get; }
    public long WeightBytes => _weights.Bytes;

    public float[] EncodeImage(ReadOnlySpan<float> input, CancellationToken cancellationToken)
    {
        int s = Config.ImageSize, g = Config.Grid, c = Config.PromptEmbedDim;
        if (input.Length != 3 * s * s) throw new ArgumentException($"The encoder takes 3×{s}×{s} values, got {input.Length}.");
        var data = input.ToArray();
        var embedding = new float[c * g * g];
        using var inputValue = OrtValue.CreateTensorValueFromMemory(data, [1, 3, s, s]);
        using var output = OrtValue.CreateTensorValueFromMemory(embedding, [1, c, g, g]);
        using var binding = _encoder.CreateIoBinding();
        binding.BindInput(SamMed2DGraphs.Image, inputValue);
        binding.BindOutput(SamMed2DGraphs.Embedding, output);
        BoundRun.Run(_encoder, binding, cancellationToken);
        return embedding;
    }

    public SamMed2DDecoderOutput Decode(float[] embedding, ReadOnlySpan<PromptToken> tokens, ReadOnlySpan<float> maskInput,
        bool withIntermediates = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        int g = Config.Grid, c = Config.PromptEmbedDim, r = Config.LowResSize, m = Config.NumMaskTokens, n = tokens.Length;
        if (embedding.Length != c * g * g) throw new ArgumentException("The embedding was made by a different configuration.");
        if (!maskInput.IsEmpty && maskInput.Length != r * r) throw new ArgumentException($"The mask prompt must be {r}×{r} values, got {maskInput.Length}.");
        var coords = new float[2 * n];
        var labels = new float[n];
        for (int i = 0; i < n; i++)
        {
            var t = tokens[i];
            if (!float.IsFinite(t.X) || !float.IsFinite(t.Y)) throw new ArgumentException($"Prompt token {i} has a non-finite coordinate.");
            if (t.Label is not (-1 or 0 or 1 or 2 or 3)) throw new ArgumentException($"Prompt token label {t.Label} is not one of −1, 0, 1, 2, 3.");
            (coords[2 * i], coords[2 * i + 1], labels[i]) = (t.X, t.Y, t.Label);
        }
        var mask = new float[r * r];
        maskInput.CopyTo(mask);
        float[] hasMask = [maskInput.IsEmpty ? 0 : 1];

        var owned = new List<OrtValue>();
        OrtValue Over(float[] data, params long[] shape)
        {
            var v = OrtValue.CreateTensorValueFromMemory(data, shape);
            owned.Add(v);
            return v;
        }
        try
        {
            using var binding = _decoder.CreateIoBinding();
            binding.BindInput(SamMed2DGraphs.Embedding, Over(embedding, 1, c, g, g));
            binding.BindInput(SamMed2DGraphs.PointCoords, Over(coords, 1, n, 2));
            binding.BindInput(SamMed2DGraphs.PointLabels, Over(labels, 1, n));
            binding.BindInput(SamMed2DGraphs.MaskInput, Over(mask, 1, 1, r, r));
            binding.BindInput(SamMed2DGraphs.HasMaskInput, Over(hasMask, 1));
            float[] logits = new float[m * r * r], iou = new float[m];
            binding.BindOutput(SamMed2DGraphs.LowResMasks, Over(logits, 1, m, r, r));
            binding.BindOutput(SamMed2DGraphs.IouPredictions, Over(iou, 1, m));
            float[]? sparse = null, dense = null, densePe = null;
            if (withIntermediates)
            {
                binding.BindOutput(SamMed2DGraphs.SparseEmbeddings, Over(sparse = new float[n * c], 1, n, c));
                binding.BindOutput(SamMed2DGraphs.DenseEmbeddings, Over(dense = new float[c * g * g], 1, c, g, g));
                binding.BindOutput(SamMed2DGraphs.DensePe, Over(densePe = new float[c * g * g], 1, c, g, g));
            }
            BoundRun.Run(_decoder, binding, cancellationToken);
            return new SamMed2DDecoderOutput { LowResLogits = logits, Iou = iou, SparseEmbedding = sparse, DenseEmbedding = dense, DensePe = densePe };
        }
        finally
        {
            foreach (var v in owned) v.Dispose();
        }
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
        _weights.Dispose();
    }
}
